import Foundation
import TresorCore

/// `role/:name` and its role id.
extension AppRoleBackend {
    static func rolePaths() -> [PathSpec] {
        [
            PathSpec("role/", handlers: [.list: { ctx, _ in LogicalResponse.list(try await ctx.storage.list("role/")) }]),
            PathSpec("role/{role_name}/role-id", fields: [FieldSpec("role_id", .string)], lowercasing: ["role_name"], handlers: [
                .read: { ctx, _ in
                    guard let role = try await role(ctx.storage, ctx.capture("role_name")) else { return nil }
                    return LogicalResponse(data: ["role_id": .string(role.roleID)])
                },
                .update: { ctx, fields in
                    let name = ctx.capture("role_name").lowercased()
                    await ctx.storage.lock("role/" + name)
                    var role = try await requireRole(ctx.storage, name)
                    let newID = try fields.string("role_id")
                    guard !newID.isEmpty else { throw TresorError.badRequest("missing role_id") }
                    try await setRoleID(ctx.storage, name: name, role: &role, to: newID)
                    try await ctx.storage.putJSON("role/" + name, role)
                    return nil
                },
            ]),
            PathSpec("role/{role_name}", fields: roleFields, existenceCheck: { ctx, _ in
                try await role(ctx.storage, ctx.capture("role_name")) != nil
            }, lowercasing: ["role_name"], handlers: [
                .read: { ctx, _ in
                    guard let role = try await role(ctx.storage, ctx.capture("role_name")) else { return nil }
                    return LogicalResponse(data: role.json)
                },
                .create: { ctx, fields in try await writeRole(ctx, fields) },
                .update: { ctx, fields in try await writeRole(ctx, fields) },
                .delete: { ctx, _ in
                    let name = ctx.capture("role_name").lowercased()
                    await ctx.storage.lock("role/" + name)
                    guard let role = try await role(ctx.storage, name) else { return nil }
                    let hmac = try await MountSalt.hasher(ctx.storage)
                    for key in try await ctx.storage.list("secret-id/\(hmac(name))/") {
                        if let entry = try await ctx.storage.getJSON("secret-id/\(hmac(name))/\(key)", as: SecretID.self) {
                            try await ctx.storage.delete("accessor/" + hmac(entry.accessor))
                        }
                        try await ctx.storage.delete("secret-id/\(hmac(name))/\(key)")
                    }
                    try await ctx.storage.delete("role-id/" + hmac(role.roleID))
                    try await ctx.storage.delete("role/" + name)
                    return nil
                },
            ]),
        ]
    }

    static func writeRole(_ ctx: RequestContext, _ fields: FieldData) async throws -> LogicalResponse? {
        let name = ctx.capture("role_name").lowercased()
        guard name.range(of: "^[a-z0-9_.@-]{1,128}$", options: .regularExpression) != nil else {
            throw TresorError.badRequest("role name may contain only letters, digits, '_', '.', '@' and '-'")
        }
        await ctx.storage.lock("role/" + name)
        var role = try await role(ctx.storage, name) ?? AppRole(roleID: "")
        if fields.has("bind_secret_id") { role.bindSecretID = try fields.bool("bind_secret_id") }
        if fields.has("secret_id_bound_cidrs") {
            role.secretIDBoundCIDRs = try fields.strings("secret_id_bound_cidrs")
            try CIDR.validate(role.secretIDBoundCIDRs)
        }
        if fields.has("secret_id_num_uses") { role.secretIDNumUses = try fields.int("secret_id_num_uses") }
        if fields.has("secret_id_ttl") { role.secretIDTTL = try fields.duration("secret_id_ttl") }
        if fields.has("local_secret_ids") { role.localSecretIDs = try fields.bool("local_secret_ids") }
        guard role.secretIDNumUses >= 0, role.secretIDTTL >= 0 else {
            throw TresorError.badRequest("secret_id_num_uses and secret_id_ttl cannot be negative")
        }
        try role.token.apply(fields)
        if !role.bindSecretID && role.secretIDBoundCIDRs.isEmpty && role.token.boundCIDRs.isEmpty {
            throw TresorError.badRequest("at least one constraint should be enabled on the role")
        }
        let requestedID = try fields.string("role_id")
        if role.roleID.isEmpty || (!requestedID.isEmpty && requestedID != role.roleID) {
            try await setRoleID(ctx.storage, name: name, role: &role, to: requestedID.isEmpty ? RandomUUID.string() : requestedID)
        }
        try await ctx.storage.putJSON("role/" + name, role)
        return nil
    }

    static func setRoleID(_ storage: StorageView, name: String, role: inout AppRole, to newID: String) async throws {
        let hmac = try await MountSalt.hasher(storage)
        await storage.lock("role-id/" + hmac(newID))
        if let owner = try await storage.getJSON("role-id/" + hmac(newID), as: [String: String].self), owner["name"] != name {
            throw TresorError.badRequest("role_id already in use")
        }
        if !role.roleID.isEmpty { try await storage.delete("role-id/" + hmac(role.roleID)) }
        role.roleID = newID
        try await storage.putJSON("role-id/" + hmac(newID), ["name": name])
    }
}

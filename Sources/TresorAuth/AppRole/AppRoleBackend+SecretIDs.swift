import Foundation
import TresorCore

/// Secret ids: generate, bring your own, look up, destroy, by value or by accessor.
extension AppRoleBackend {
    static func secretIDPaths() -> [PathSpec] {
        let accessorFields = [FieldSpec("role_name", .string), FieldSpec("secret_id_accessor", .string)]
        return [
            PathSpec("role/{role_name}/secret-id", fields: secretIDFields, lowercasing: ["role_name"], handlers: [
                .update: { ctx, fields in try await issue(ctx, fields, custom: nil) },
                .list: { ctx, _ in try await listAccessors(ctx) },
            ]),
            PathSpec("role/{role_name}/secret-id/", lowercasing: ["role_name"], handlers: [
                .list: { ctx, _ in try await listAccessors(ctx) },
            ]),
            PathSpec("role/{role_name}/custom-secret-id", fields: secretIDFields, lowercasing: ["role_name"], handlers: [
                .update: { ctx, fields in
                    let secret = try fields.string("secret_id")
                    guard !secret.isEmpty else { throw TresorError.badRequest("missing secret_id") }
                    return try await issue(ctx, fields, custom: secret)
                },
            ]),
            PathSpec("role/{role_name}/secret-id/lookup", fields: secretIDFields, lowercasing: ["role_name"], handlers: [
                .update: { ctx, fields in
                    let (_, entry) = try await find(ctx, secret: try fields.string("secret_id"))
                    return entry.map { LogicalResponse(data: $0.json) }
                },
            ]),
            PathSpec("role/{role_name}/secret-id/destroy", fields: secretIDFields, lowercasing: ["role_name"], handlers: [
                .update: { ctx, fields in try await destroy(ctx, secret: try fields.string("secret_id")) },
                .delete: { ctx, fields in try await destroy(ctx, secret: try fields.string("secret_id")) },
            ]),
            PathSpec("role/{role_name}/secret-id-accessor/lookup", fields: accessorFields, lowercasing: ["role_name"], handlers: [
                .update: { ctx, fields in
                    guard let (_, entry) = try await byAccessor(ctx, try fields.string("secret_id_accessor")) else {
                        throw TresorError.badRequest("failed to find accessor entry for secret_id_accessor")
                    }
                    return LogicalResponse(data: entry.json)
                },
            ]),
            PathSpec("role/{role_name}/secret-id-accessor/destroy", fields: accessorFields, lowercasing: ["role_name"], handlers: [
                .update: { ctx, fields in try await destroyByAccessor(ctx, try fields.string("secret_id_accessor")) },
                .delete: { ctx, fields in try await destroyByAccessor(ctx, try fields.string("secret_id_accessor")) },
            ]),
        ]
    }

    /// The accessors of a role's live secret ids (never the ids themselves).
    static func listAccessors(_ ctx: RequestContext) async throws -> LogicalResponse? {
        let name = ctx.capture("role_name").lowercased()
        _ = try await requireRole(ctx.storage, name)
        let hmac = try await MountSalt.hasher(ctx.storage)
        var accessors: [String] = []
        for key in try await ctx.storage.list("secret-id/\(hmac(name))/") {
            if let entry = try await ctx.storage.getJSON("secret-id/\(hmac(name))/\(key)", as: SecretID.self) {
                accessors.append(entry.accessor)
            }
        }
        return LogicalResponse.list(accessors.sorted())
    }

    static func issue(_ ctx: RequestContext, _ fields: FieldData, custom: String?) async throws -> LogicalResponse? {
        let name = ctx.capture("role_name").lowercased()
        let role = try await requireRole(ctx.storage, name)
        guard role.bindSecretID else { throw TresorError.badRequest("bind_secret_id is not set on the role") }
        let hmac = try await MountSalt.hasher(ctx.storage)
        var metadata: [String: String] = [:]
        switch fields.raw["metadata"] {
        case .string(let text)?:
            if !text.isEmpty {
                guard case .object(let object) = try JSONReader.parse(Array(text.utf8)) else {
                    throw TresorError.badRequest("metadata must be a JSON object of strings")
                }
                metadata = object.compactMapValues(\.stringValue)
            }
        case .object(let object)?: metadata = object.compactMapValues(\.stringValue)
        case nil, .null?: break
        default: throw TresorError.badRequest("metadata must be a JSON object of strings")
        }
        let cidrs = try fields.strings("cidr_list")
        let tokenCIDRs = try fields.strings("token_bound_cidrs")
        try CIDR.validate(cidrs + tokenCIDRs)
        // A secret id may narrow its role's address bounds, never widen them.
        for (mine, roles) in [(cidrs, role.secretIDBoundCIDRs), (tokenCIDRs, role.token.boundCIDRs)] where !CIDR.isSubset(mine, of: roles) {
            throw TresorError.badRequest("failed to verify subset relationship between CIDR blocks on the role \(String(decoding: JSONWriter.encode(JSONValue(roles)), as: UTF8.self)) and CIDR blocks on the secret ID \(String(decoding: JSONWriter.encode(JSONValue(mine)), as: UTF8.self))")
        }
        var ttl = role.secretIDTTL
        if fields.has("ttl") {
            let requested = try fields.duration("ttl")
            ttl = role.secretIDTTL > 0 && (requested == 0 || requested > role.secretIDTTL) ? role.secretIDTTL : requested
        }
        var uses = role.secretIDNumUses
        if fields.has("num_uses") {
            let requested = try fields.int("num_uses")
            guard requested >= 0 else { throw TresorError.badRequest("num_uses cannot be negative") }
            uses = role.secretIDNumUses > 0 && (requested == 0 || requested > role.secretIDNumUses) ? role.secretIDNumUses : requested
        }
        let secret = custom ?? RandomUUID.string()
        let key = "secret-id/\(hmac(name))/\(hmac(secret))"
        await ctx.storage.lock(key)
        if try await ctx.storage.get(key) != nil { throw TresorError.badRequest("secret_id already exists") }
        let now = Date()
        let entry = SecretID(accessor: RandomUUID.string(), creationTime: now,
                             expirationTime: ttl > 0 ? now.addingTimeInterval(TimeInterval(ttl)) : nil,
                             lastUpdatedTime: now, numUses: uses, ttl: ttl, metadata: metadata, cidrs: cidrs, tokenBoundCIDRs: tokenCIDRs)
        try await ctx.storage.putJSON(key, entry)
        try await ctx.storage.putJSON("accessor/" + hmac(entry.accessor), SecretIDAccessor(roleName: name, secretIDKey: key))
        return LogicalResponse(data: [
            "secret_id": .string(secret), "secret_id_accessor": .string(entry.accessor),
            "secret_id_ttl": .int(ttl), "secret_id_num_uses": .int(uses),
        ])
    }

    static func find(_ ctx: RequestContext, secret: String) async throws -> (String, SecretID?) {
        guard !secret.isEmpty else { throw TresorError.badRequest("missing secret_id") }
        let name = ctx.capture("role_name").lowercased()
        _ = try await requireRole(ctx.storage, name)
        let hmac = try await MountSalt.hasher(ctx.storage)
        let key = "secret-id/\(hmac(name))/\(hmac(secret))"
        return (key, try await ctx.storage.getJSON(key, as: SecretID.self))
    }

    static func destroy(_ ctx: RequestContext, secret: String) async throws -> LogicalResponse? {
        let (key, entry) = try await find(ctx, secret: secret)
        guard let entry else { return nil }
        let hmac = try await MountSalt.hasher(ctx.storage)
        try await ctx.storage.delete(key)
        try await ctx.storage.delete("accessor/" + hmac(entry.accessor))
        return nil
    }

    static func byAccessor(_ ctx: RequestContext, _ accessor: String) async throws -> (String, SecretID)? {
        guard !accessor.isEmpty else { throw TresorError.badRequest("missing secret_id_accessor") }
        let name = ctx.capture("role_name").lowercased()
        let hmac = try await MountSalt.hasher(ctx.storage)
        guard let index = try await ctx.storage.getJSON("accessor/" + hmac(accessor), as: SecretIDAccessor.self),
              index.roleName == name,
              let entry = try await ctx.storage.getJSON(index.secretIDKey, as: SecretID.self) else { return nil }
        return (index.secretIDKey, entry)
    }

    static func destroyByAccessor(_ ctx: RequestContext, _ accessor: String) async throws -> LogicalResponse? {
        guard let (key, entry) = try await byAccessor(ctx, accessor) else {
            throw TresorError.badRequest("failed to find accessor entry for secret_id_accessor")
        }
        let hmac = try await MountSalt.hasher(ctx.storage)
        try await ctx.storage.delete(key)
        try await ctx.storage.delete("accessor/" + hmac(entry.accessor))
        return nil
    }
}

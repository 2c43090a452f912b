import Foundation
import TresorCore

/// `approle`: machines log in with a role id (like a username) and a secret id (like a password
/// that can be limited in uses, lifetime and source address).
///
/// Storage: `role/<name>`, `role-id/<hmac(role id)>` → name,
/// `secret-id/<hmac(name)>/<hmac(secret id)>`, `accessor/<hmac(accessor)>`.
struct AppRoleBackend: LogicalBackend, LoginRenewer {
    let paths: [PathSpec]
    let specialPaths = SpecialPaths(unauthenticated: ["login"])

    static let roleFields: [FieldSpec] = [
        FieldSpec("role_name", .string), FieldSpec("bind_secret_id", .bool, default: true),
        FieldSpec("secret_id_bound_cidrs", .commaStringSlice), FieldSpec("secret_id_num_uses", .int),
        FieldSpec("secret_id_ttl", .duration), FieldSpec("local_secret_ids", .bool), FieldSpec("role_id", .string),
    ] + TokenRoleSettings.fields

    static let secretIDFields: [FieldSpec] = [
        FieldSpec("role_name", .string), FieldSpec("secret_id", .string), FieldSpec("metadata", .any),
        FieldSpec("cidr_list", .commaStringSlice), FieldSpec("token_bound_cidrs", .commaStringSlice),
        FieldSpec("ttl", .duration), FieldSpec("num_uses", .int),
    ]

    init() {
        paths = Self.rolePaths() + Self.secretIDPaths() + [
            PathSpec("login", fields: [FieldSpec("role_id", .string), FieldSpec("secret_id", .string)], handlers: [
                .update: { ctx, fields in try await Self.login(ctx, fields) },
            ]),
        ]
    }

    static func role(_ storage: StorageView, _ name: String) async throws -> AppRole? {
        try await storage.getJSON("role/" + name.lowercased(), as: AppRole.self)
    }

    static func requireRole(_ storage: StorageView, _ name: String) async throws -> AppRole {
        guard let role = try await role(storage, name) else {
            throw TresorError.badRequest("role \"\(name)\" does not exist")
        }
        return role
    }

    static func login(_ ctx: RequestContext, _ fields: FieldData) async throws -> LogicalResponse? {
        let hmac = try await MountSalt.hasher(ctx.storage)
        let roleID = try fields.string("role_id")
        guard !roleID.isEmpty else { throw TresorError.badRequest("missing role_id") }
        guard let index = try await ctx.storage.getJSON("role-id/" + hmac(roleID), as: [String: String].self),
              let name = index["name"], let role = try await role(ctx.storage, name) else {
            throw TresorError.badRequest("invalid role or secret ID")
        }
        var metadata = ["role_name": name]
        var tokenCIDRs = role.token.boundCIDRs
        if role.bindSecretID {
            let secret = try fields.string("secret_id")
            guard !secret.isEmpty else { throw TresorError.badRequest("missing secret_id") }
            let key = "secret-id/\(hmac(name))/\(hmac(secret))"
            guard var entry = try await ctx.storage.getJSON(key, as: SecretID.self), !entry.isExpired(at: Date()) else {
                throw TresorError.badRequest("invalid role or secret ID")
            }
            if entry.numUses > 0 {
                // Only a counted secret id is written by a login: only then do logins with it take
                // turns (the lock lasts until the commit), and the count is read again under it.
                await ctx.storage.lock(key)
                guard let current = try await ctx.storage.getJSON(key, as: SecretID.self), !current.isExpired(at: Date()) else {
                    throw TresorError.badRequest("invalid role or secret ID")
                }
                entry = current
            }
            let address = ctx.request.remoteAddress ?? ""
            for list in [role.secretIDBoundCIDRs, entry.cidrs] where !list.isEmpty {
                guard CIDR.contains(any: list, address: address) else {
                    throw TresorError.badRequest("source address \(address) unauthorized through CIDR restrictions on the secret ID")
                }
            }
            if entry.numUses > 0 {
                entry.numUses -= 1
                if entry.numUses == 0 {
                    // The last use: the secret id is gone with this login.
                    try await ctx.storage.delete(key)
                    try await ctx.storage.delete("accessor/" + hmac(entry.accessor))
                } else {
                    entry.lastUpdatedTime = Date()
                    try await ctx.storage.putJSON(key, entry)
                }
            }
            metadata.merge(entry.metadata) { current, _ in current }
            // The secret id's own token bounds replace the role's (they were checked to be narrower).
            if !entry.tokenBoundCIDRs.isEmpty { tokenCIDRs = entry.tokenBoundCIDRs }
        } else if !role.secretIDBoundCIDRs.isEmpty {
            guard CIDR.contains(any: role.secretIDBoundCIDRs, address: ctx.request.remoteAddress ?? "") else {
                throw TresorError.badRequest("source address unauthorized through CIDR restrictions on the role")
            }
        }
        var grant = role.token.grant(displayName: AuthNames.displayPrefix(ctx.mount), metadata: metadata,
                                     internalData: ["role_name": name])
        grant.boundCIDRs = tokenCIDRs
        grant.aliasName = roleID
        return LogicalResponse(login: grant)
    }

    func renewLogin(_ token: TokenEntry, storage: StorageView) async throws -> LoginGrant {
        guard let name = token.loginData?["role_name"], let role = try await Self.role(storage, name) else {
            throw TresorError.badRequest("role no longer exists, not renewing")
        }
        return role.token.grant(displayName: token.displayName, metadata: token.meta, internalData: ["role_name": name])
    }
}

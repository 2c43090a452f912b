import Foundation

/// `auth/token/`: create, look up, renew and revoke tokens.
struct TokenBackend: LogicalBackend {
    public let paths: [PathSpec]
    public let specialPaths = SpecialPaths(root: ["revoke-orphan", "revoke-orphan/*", "accessors", "accessors/*"])

    static let badToken = TresorError(.permissionDenied, status: 403, messages: ["bad token"])

    static let createFields: [FieldSpec] = [
        FieldSpec("id", .string), FieldSpec("policies", .policyNames), FieldSpec("meta", .keyValuePairs),
        FieldSpec("no_parent", .bool), FieldSpec("no_default_policy", .bool), FieldSpec("ttl", .duration),
        FieldSpec("explicit_max_ttl", .duration), FieldSpec("period", .duration), FieldSpec("display_name", .string),
        FieldSpec("num_uses", .int), FieldSpec("renewable", .bool, default: true), FieldSpec("type", .string),
        FieldSpec("entity_alias", .string), FieldSpec("lease", .string), FieldSpec("role_name", .string),
    ]

    init(core: Core) {
        let store = core.tokens
        let create: @Sendable (Bool) -> PathHandler = { orphanPath in
            { ctx, fields in
                var params = TokenParams()
                if fields.has("id") { params.id = try fields.string("id") }
                if fields.has("policies") { params.policies = try fields.strings("policies") }
                params.meta = try fields.stringMap("meta") ?? [:]
                params.noDefaultPolicy = try fields.bool("no_default_policy")
                params.ttl = try fields.duration("ttl")
                if params.ttl == 0, fields.has("lease") { params.ttl = DurationParser.seconds(try fields.string("lease")) ?? 0 }
                params.explicitMaxTTL = try fields.duration("explicit_max_ttl")
                params.period = try fields.duration("period")
                params.displayName = try fields.string("display_name")
                params.numUses = try fields.int("num_uses")
                params.renewable = try fields.bool("renewable")
                var type = try fields.string("type")
                if type.isEmpty { type = "default" }
                guard ["default", "service", "batch"].contains(type) else { throw TresorError.badRequest("invalid 'token_type' value") }
                guard params.numUses >= 0 else { throw TresorError.badRequest("number of uses cannot be negative") }
                guard params.ttl >= 0, params.explicitMaxTTL >= 0, params.period >= 0 else {
                    throw TresorError.badRequest("TTLs cannot be negative")
                }
                let parent = ctx.token
                let fromBody = try fields.string("role_name")
                let roleName = ctx.captures["role_name"] ?? fromBody
                if !roleName.isEmpty {
                    guard let role = try await ctx.transaction.getJSON(TokenRole.prefix + roleName, as: TokenRole.self) else {
                        throw TresorError.badRequest("unknown role \(roleName)")
                    }
                    try role.apply(to: &params, parent: parent)
                    type = try role.tokenType(requested: type)
                }
                params.batch = type == "batch"
                if orphanPath {
                    params.orphan = true
                    params.path = "auth/token/create-orphan"
                } else if try fields.bool("no_parent") {
                    guard parent?.isRoot == true else {
                        throw TresorError.badRequest("root or sudo privileges required to create orphan token")
                    }
                    params.orphan = true
                }
                let (token, entry) = try await store.create(params, parent: parent, storage: ctx.transaction)
                return LogicalResponse(auth: Self.auth(token: token, entry, ttl: entry.creationTTL), lease: nil)
            }
        }

        let lookupAnswer: @Sendable (TokenEntry, String) -> LogicalResponse = { entry, token in
            LogicalResponse(data: Self.describe(entry, id: token))
        }
        let revoke: @Sendable (RequestContext, String, Bool) async throws -> Void = { ctx, token, orphan in
            guard let entry = try await store.lookup(token: token, storage: ctx.transaction) else {
                throw TresorError.badRequest("token to revoke not found")
            }
            guard entry.type != "batch" else { throw TresorError.badRequest("batch tokens cannot be revoked") }
            if orphan {
                try await store.revokeOrphan(hash: entry.id, storage: ctx.transaction)
            } else {
                try await store.revokeTree(hash: entry.id, storage: ctx.transaction)
            }
        }
        let renew: @Sendable (RequestContext, TokenEntry, String, FieldData) async throws -> LogicalResponse = { ctx, entry, token, fields in
            let now = Date()
            let updated = try await core.renewToken(entry, increment: try fields.duration("increment"), storage: ctx.transaction, now: now)
            let granted = Int64(updated.expireTime.map { $0.timeIntervalSince(now).rounded() } ?? 0)
            return LogicalResponse(auth: Self.auth(token: token, updated, ttl: granted))
        }
        let tokenField = FieldSpec("token", .string)
        let lookupGiven: PathHandler = { ctx, fields in
            // Without a token to look up, Vault looks up the caller.
            let given = try fields.string("token")
            let token = given.isEmpty ? ctx.request.clientToken : given
            guard let entry = try await store.lookup(token: token, storage: ctx.transaction) else {
                throw Self.badToken
            }
            return lookupAnswer(entry, token)
        }

        paths = [
            PathSpec("create", fields: Self.createFields, handlers: [.update: create(false)]),
            PathSpec("create-orphan", fields: Self.createFields, handlers: [.update: create(true)]),
            PathSpec("create/{role_name}", fields: Self.createFields, handlers: [.update: create(false)]),
            PathSpec("lookup-self", handlers: [
                .read: { ctx, _ in
                    guard let entry = ctx.token else { throw TresorError.permissionDenied }
                    return lookupAnswer(entry, ctx.request.clientToken)
                },
            ]),
            PathSpec("lookup", fields: [tokenField], handlers: [.update: lookupGiven, .read: lookupGiven]),
            PathSpec("lookup-accessor", fields: [FieldSpec("accessor", .string)], handlers: [
                .update: { ctx, fields in
                    guard let entry = try await store.lookup(accessor: try fields.string("accessor"), storage: ctx.transaction) else {
                        throw TresorError.badRequest("invalid accessor")
                    }
                    return lookupAnswer(entry, "")
                },
            ]),
            PathSpec("renew-self", fields: [FieldSpec("increment", .duration), tokenField], handlers: [
                .update: { ctx, fields in
                    guard let entry = ctx.token else { throw TresorError.permissionDenied }
                    return try await renew(ctx, entry, ctx.request.clientToken, fields)
                },
            ]),
            PathSpec("renew", fields: [FieldSpec("increment", .duration), tokenField], handlers: [
                .update: { ctx, fields in
                    let token = try fields.string("token")
                    guard let entry = try await store.lookup(token: token, storage: ctx.transaction) else {
                        throw TresorError.badRequest("invalid token")
                    }
                    return try await renew(ctx, entry, token, fields)
                },
            ]),
            PathSpec("renew-accessor", fields: [FieldSpec("increment", .duration), FieldSpec("accessor", .string)], handlers: [
                .update: { ctx, fields in
                    guard let entry = try await store.lookup(accessor: try fields.string("accessor"), storage: ctx.transaction) else {
                        throw TresorError.badRequest("invalid accessor")
                    }
                    var response = try await renew(ctx, entry, "", fields)
                    response.auth?.clientToken = ""
                    return response
                },
            ]),
            PathSpec("revoke-self", handlers: [
                .update: { ctx, _ in
                    try await revoke(ctx, ctx.request.clientToken, false)
                    return nil
                },
            ]),
            PathSpec("revoke", fields: [tokenField], handlers: [
                .update: { ctx, fields in
                    let token = try fields.string("token")
                    guard !token.isEmpty else { throw TresorError.badRequest("missing token") }
                    try await revoke(ctx, token, false)
                    return nil
                },
            ]),
            PathSpec("revoke-orphan", fields: [tokenField], handlers: [
                .update: { ctx, fields in
                    try await revoke(ctx, try fields.string("token"), true)
                    return nil
                },
            ]),
            PathSpec("revoke-accessor", fields: [FieldSpec("accessor", .string)], handlers: [
                .update: { ctx, fields in
                    guard let entry = try await store.lookup(accessor: try fields.string("accessor"), storage: ctx.transaction) else {
                        throw TresorError.badRequest("invalid accessor")
                    }
                    try await store.revokeTree(hash: entry.id, storage: ctx.transaction)
                    return nil
                },
            ]),
            PathSpec("accessors/", handlers: [
                .list: { ctx, _ in LogicalResponse.list(try await store.listAccessors(storage: ctx.transaction)) },
            ]),
            PathSpec("roles/", handlers: [
                .list: { ctx, _ in LogicalResponse.list(try await ctx.transaction.list(TokenRole.prefix).filter { !$0.hasSuffix("/") }) },
            ]),
            PathSpec("roles/{role_name}", fields: TokenRole.fields, handlers: [
                .read: { ctx, _ in
                    guard let role = try await ctx.transaction.getJSON(TokenRole.prefix + ctx.capture("role_name"), as: TokenRole.self) else { return nil }
                    return LogicalResponse(data: role.json)
                },
                .update: { ctx, fields in
                    let name = ctx.capture("role_name")
                    await ctx.transaction.lock(TokenRole.prefix + name)
                    var role = try await ctx.transaction.getJSON(TokenRole.prefix + name, as: TokenRole.self) ?? TokenRole(name: name)
                    try role.update(fields)
                    try await ctx.transaction.putJSON(TokenRole.prefix + name, role)
                    return nil
                },
                .delete: { ctx, _ in
                    try await ctx.transaction.delete(TokenRole.prefix + ctx.capture("role_name"))
                    return nil
                },
            ]),
        ]
    }

    /// The `auth` block for a token just created or renewed: `ttl` is what it was granted.
    static func auth(token: String, _ entry: TokenEntry, ttl: Int64) -> AuthResponse {
        var auth = AuthResponse(clientToken: token, accessor: entry.accessor, policies: entry.policies, tokenPolicies: entry.policies,
                                metadata: entry.meta, leaseDuration: ttl, renewable: entry.renewable,
                                orphan: entry.isOrphan, numUses: max(entry.numUses, 0), tokenType: entry.type)
        auth.entityID = entry.entityID ?? ""
        return auth
    }

    static func describe(_ entry: TokenEntry, id: String, now: Date = Date()) -> [String: JSONValue] {
        var data: [String: JSONValue] = [
            "accessor": .string(entry.accessor),
            "creation_time": .int(Int64(entry.creationTime.timeIntervalSince1970)),
            "creation_ttl": .int(entry.creationTTL),
            "display_name": .string(entry.displayName),
            "entity_id": .string(entry.entityID ?? ""),
            "expire_time": entry.expireTime.map { .string(SystemBackend.iso.format($0)) } ?? .null,
            "explicit_max_ttl": .int(entry.explicitMaxTTL),
            "id": .string(id),
            "issue_time": .string(SystemBackend.iso.format(entry.issueTime)),
            "meta": entry.meta.isEmpty ? .null : JSONValue(entry.meta),
            "num_uses": .int(max(entry.numUses, 0)),
            "orphan": .bool(entry.isOrphan),
            "path": .string(entry.path),
            "policies": JSONValue(entry.policies),
            "renewable": .bool(entry.renewable),
            "ttl": .int(entry.remainingTTL(at: now)),
            "type": .string(entry.type),
        ]
        if entry.period > 0 { data["period"] = .int(entry.period) }
        if let role = entry.role { data["role"] = .string(role) }
        if let renewed = entry.lastRenewalTime {
            data["last_renewal_time"] = .int(Int64(renewed.timeIntervalSince1970))
            data["last_renewal"] = .string(SystemBackend.iso.format(renewed))
        }
        return data
    }
}

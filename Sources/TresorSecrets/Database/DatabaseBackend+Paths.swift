import Foundation
import TresorCore

extension DatabaseBackend {
    static func configPaths(_ pools: MountPools) -> [PathSpec] {
        let fields = [
            FieldSpec("name", .string), FieldSpec("plugin_name", .string), FieldSpec("connection_url", .string),
            FieldSpec("username", .string), FieldSpec("password", .string), FieldSpec("allowed_roles", .commaStringSlice),
            FieldSpec("verify_connection", .bool, default: true), FieldSpec("max_open_connections", .int, default: 4),
            FieldSpec("password_authentication", .string), FieldSpec("username_template", .string),
            FieldSpec("root_rotation_statements", .any), FieldSpec("plugin_version", .string),
            FieldSpec("max_idle_connections", .int), FieldSpec("max_connection_lifetime", .duration),
        ]
        return [
            PathSpec("config/", handlers: [.list: { ctx, _ in LogicalResponse.list(try await ctx.storage.list("config/")) }]),
            PathSpec("config/{name}", fields: fields, existenceCheck: { ctx, _ in
                try await config(ctx.storage, ctx.capture("name")) != nil
            }, handlers: [
                .read: { ctx, _ in try await config(ctx.storage, ctx.capture("name")).map { LogicalResponse(data: $0.json) } },
                .create: { ctx, fields in try await writeConfig(ctx, fields, pools) },
                .update: { ctx, fields in try await writeConfig(ctx, fields, pools) },
                .delete: { ctx, _ in
                    let name = ctx.capture("name")
                    try await ctx.storage.delete("config/" + name)
                    ctx.storage.afterCommit { pools.plugin.forget(key: pools.key(name)) }
                    return nil
                },
            ]),
            PathSpec("reset/{name}", handlers: [
                .update: { ctx, _ in
                    let name = ctx.capture("name")
                    guard try await config(ctx.storage, name) != nil else { throw TresorError.badRequest("unknown database \(name)") }
                    pools.plugin.forget(key: pools.key(name))
                    return nil
                },
            ]),
            PathSpec("rotate-root/{name}", handlers: [
                .update: { ctx, _ in
                    let name = ctx.capture("name")
                    await ctx.storage.lock("config/" + name)
                    guard var config = try await config(ctx.storage, name) else { throw TresorError.badRequest("unknown database \(name)") }
                    guard !config.username.isEmpty else { throw TresorError.badRequest("rotate-root needs the username field in the config") }
                    let password = SQLTemplate.password()
                    let templates = config.rootRotationStatements.isEmpty ? [defaultRootRotation] : config.rootRotationStatements
                    let user = SQLTemplate.sanitize(config.username, limit: 63)
                    guard user == config.username else { throw TresorError.badRequest("the admin username contains characters rotate-root cannot quote safely") }
                    // Should this request not commit, the database gets its old password back.
                    try await ctx.recordOutsideEffect(["effect": "rotate-root", "db_name": name,
                                                       "old_password": config.password, "new_password": password])
                    try await pools.plugin.execute(render(templates, ["name": user, "username": user, "password": password]),
                                                            config: config, key: pools.key(name))
                    config.password = password
                    try await ctx.storage.putJSON("config/" + name, config)
                    return nil
                },
            ]),
        ]
    }

    static func writeConfig(_ ctx: RequestContext, _ fields: FieldData, _ pools: MountPools) async throws -> LogicalResponse? {
        let name = ctx.capture("name")
        await ctx.storage.lock("config/" + name)
        let existing = try await config(ctx.storage, name)
        var config = existing ?? DatabaseConfig(pluginName: "", connectionURL: "", username: "", password: "", allowedRoles: [],
                                                verifyConnection: true, maxOpenConnections: 4, passwordAuthentication: "password",
                                                usernameTemplate: "", rootRotationStatements: [])
        if fields.has("plugin_name") { config.pluginName = try fields.string("plugin_name") }
        guard PostgresPlugin.supported.contains(config.pluginName) else {
            throw TresorError.badRequest("unsupported plugin_name \"\(config.pluginName)\" (supported: \(PostgresPlugin.supported.joined(separator: ", ")))")
        }
        if fields.has("connection_url") { config.connectionURL = try fields.string("connection_url") }
        if fields.has("username") { config.username = try fields.string("username") }
        if fields.has("password") { config.password = try fields.string("password") }
        if fields.has("allowed_roles") { config.allowedRoles = try fields.strings("allowed_roles") }
        if fields.has("max_open_connections") { config.maxOpenConnections = Int(try fields.int("max_open_connections")) }
        if fields.has("password_authentication") { config.passwordAuthentication = try fields.string("password_authentication") }
        if fields.has("username_template") {
            config.usernameTemplate = try fields.string("username_template")
            if !config.usernameTemplate.isEmpty { try UsernameTemplate.validate(config.usernameTemplate) }
        }
        if fields.has("root_rotation_statements") { config.rootRotationStatements = try DatabaseFields.statements(fields.raw["root_rotation_statements"]) }
        config.verifyConnection = try fields.bool("verify_connection")
        guard !config.connectionURL.isEmpty else { throw TresorError.badRequest("connection_url is required") }
        _ = try PostgresPlugin.configuration(from: SQLTemplate.render(config.connectionURL, ["username": "u", "password": "p"]))
        if config.verifyConnection {
            do {
                try await pools.plugin.verify(config, key: pools.key(name))
            } catch let error as TresorError {
                throw TresorError.badRequest("error creating database object: error verifying connection: \(error.messages.first ?? "")")
            }
        }
        try await ctx.storage.putJSON("config/" + name, config)
        return nil
    }

    static func rolePaths() -> [PathSpec] {
        let fields = [
            FieldSpec("name", .string), FieldSpec("db_name", .string), FieldSpec("creation_statements", .any),
            FieldSpec("revocation_statements", .any), FieldSpec("renew_statements", .any), FieldSpec("rollback_statements", .any),
            FieldSpec("default_ttl", .duration), FieldSpec("max_ttl", .duration), FieldSpec("credential_type", .string),
        ]
        return [
            PathSpec("roles/", handlers: [.list: { ctx, _ in LogicalResponse.list(try await ctx.storage.list("role/")) }]),
            PathSpec("roles/{name}", fields: fields, existenceCheck: { ctx, _ in
                try await ctx.storage.get("role/" + ctx.capture("name")) != nil
            }, handlers: [
                .read: { ctx, _ in
                    try await ctx.storage.getJSON("role/" + ctx.capture("name"), as: DatabaseRole.self).map { LogicalResponse(data: $0.json) }
                },
                .create: { ctx, fields in try await writeRole(ctx, fields) },
                .update: { ctx, fields in try await writeRole(ctx, fields) },
                .delete: { ctx, _ in
                    try await ctx.storage.delete("role/" + ctx.capture("name"))
                    return nil
                },
            ]),
        ]
    }

    static func writeRole(_ ctx: RequestContext, _ fields: FieldData) async throws -> LogicalResponse? {
        let name = ctx.capture("name")
        await ctx.storage.lock("role/" + name)
        var role = try await ctx.storage.getJSON("role/" + name, as: DatabaseRole.self)
            ?? DatabaseRole(dbName: "", creationStatements: [], revocationStatements: [], renewStatements: [], rollbackStatements: [],
                            defaultTTL: 0, maxTTL: 0)
        if fields.has("db_name") { role.dbName = try fields.string("db_name") }
        if fields.has("creation_statements") { role.creationStatements = try DatabaseFields.statements(fields.raw["creation_statements"]) }
        if fields.has("revocation_statements") { role.revocationStatements = try DatabaseFields.statements(fields.raw["revocation_statements"]) }
        if fields.has("renew_statements") { role.renewStatements = try DatabaseFields.statements(fields.raw["renew_statements"]) }
        if fields.has("rollback_statements") { role.rollbackStatements = try DatabaseFields.statements(fields.raw["rollback_statements"]) }
        if fields.has("default_ttl") { role.defaultTTL = try fields.duration("default_ttl") }
        if fields.has("max_ttl") { role.maxTTL = try fields.duration("max_ttl") }
        guard !role.dbName.isEmpty else { throw TresorError.badRequest("empty database name attribute") }
        guard !role.creationStatements.isEmpty else { throw TresorError.badRequest("creation_statements are required") }
        guard role.defaultTTL >= 0, role.maxTTL >= 0 else { throw TresorError.badRequest("TTLs cannot be negative") }
        if role.maxTTL > 0 && role.defaultTTL > role.maxTTL { throw TresorError.badRequest("default_ttl cannot be greater than max_ttl") }
        try await ctx.storage.putJSON("role/" + name, role)
        return nil
    }

    static func credsPaths(_ pools: MountPools) -> [PathSpec] {
        [
            PathSpec("creds/{name}", handlers: [
                .read: { ctx, _ in
                    let roleName = ctx.capture("name")
                    guard let role = try await ctx.storage.getJSON("role/" + roleName, as: DatabaseRole.self) else {
                        throw TresorError.badRequest("unknown role: \(roleName)")
                    }
                    guard let config = try await config(ctx.storage, role.dbName) else {
                        throw TresorError.badRequest("database configuration \(role.dbName) not found")
                    }
                    guard RoleGlob.matches(config.allowedRoles, roleName) else {
                        throw TresorError.badRequest("\"\(roleName)\" is not an allowed role")
                    }
                    let now = Date()
                    let limits = ctx.ttl
                    let maxTTL = role.maxTTL > 0 ? min(role.maxTTL, limits.maxTTL) : limits.maxTTL
                    let ttl = min(role.defaultTTL > 0 ? role.defaultTTL : limits.defaultTTL, maxTTL)
                    let displayName = ctx.token?.displayName ?? "token"
                    let username = config.usernameTemplate.isEmpty
                        ? SQLTemplate.username(displayName: displayName, role: roleName, now: now)
                        : try UsernameTemplate.render(config.usernameTemplate, displayName: displayName, roleName: roleName)
                    let password = SQLTemplate.password()
                    let values = ["name": username, "username": username, "password": password,
                                  "expiration": SQLTemplate.expiration(now.addingTimeInterval(TimeInterval(ttl)))]
                    // Should this request not commit, the user is dropped again.
                    try await ctx.recordOutsideEffect(["effect": "creds", "username": username, "role": roleName, "db_name": role.dbName])
                    do {
                        try await pools.plugin.execute(render(role.creationStatements, values), config: config, key: pools.key(role.dbName))
                    } catch {
                        if !role.rollbackStatements.isEmpty {
                            try? await pools.plugin.execute(render(role.rollbackStatements, values), config: config, key: pools.key(role.dbName))
                        }
                        throw error
                    }
                    var response = LogicalResponse(data: ["username": .string(username), "password": .string(password)])
                    response.secret = SecretGrant(type: "creds", ttl: ttl, maxTTL: maxTTL,
                                                  internalData: ["username": username, "role": roleName, "db_name": role.dbName])
                    return response
                },
            ]),
        ]
    }
}

/// allowed_roles: "*" for any, a trailing "*" for a prefix, else exact names.
enum RoleGlob {
    static func matches(_ patterns: [String], _ value: String) -> Bool {
        patterns.contains { pattern in
            if pattern == "*" { return true }
            if pattern.hasSuffix("*") { return value.utf8.starts(with: pattern.dropLast().utf8) }
            return pattern == value
        }
    }
}

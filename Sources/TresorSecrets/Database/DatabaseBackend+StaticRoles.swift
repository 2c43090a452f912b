import Foundation
import TresorCore

/// A database user that already exists, whose password Tresor rotates every `rotation_period`
/// and hands out on `static-creds`.
struct StaticRole: Codable, Sendable {
    var dbName: String
    var username: String
    var rotationPeriod: Int64
    var rotationStatements: [String]
    var password: String
    var lastRotation: Date

    func json(now: Date) -> [String: JSONValue] {
        [
            "db_name": .string(dbName), "username": .string(username), "rotation_period": .int(rotationPeriod),
            "rotation_statements": JSONValue(rotationStatements),
            "last_vault_rotation": .string(GoFormat.time(lastRotation)),
            "credential_type": "password",
        ]
    }

    func nextRotation() -> Date { lastRotation.addingTimeInterval(TimeInterval(rotationPeriod)) }
}

extension DatabaseBackend {
    static let defaultStaticRotation = #"ALTER ROLE "{{name}}" WITH PASSWORD '{{password}}';"#

    static func staticRolePaths(_ pools: MountPools) -> [PathSpec] {
        let fields = [
            FieldSpec("name", .string), FieldSpec("db_name", .string), FieldSpec("username", .string),
            FieldSpec("rotation_period", .duration), FieldSpec("rotation_statements", .any), FieldSpec("credential_type", .string),
        ]
        return [
            PathSpec("static-roles/", handlers: [.list: { ctx, _ in LogicalResponse.list(try await ctx.storage.list("static-role/")) }]),
            PathSpec("static-roles/{name}", fields: fields, existenceCheck: { ctx, _ in
                try await ctx.storage.get("static-role/" + ctx.capture("name")) != nil
            }, handlers: [
                .read: { ctx, _ in
                    try await ctx.storage.getJSON("static-role/" + ctx.capture("name"), as: StaticRole.self).map { LogicalResponse(data: $0.json(now: Date())) }
                },
                .create: { ctx, fields in try await writeStaticRole(ctx, fields, pools) },
                .update: { ctx, fields in try await writeStaticRole(ctx, fields, pools) },
                .delete: { ctx, _ in
                    try await ctx.storage.delete("static-role/" + ctx.capture("name"))
                    return nil
                },
            ]),
            PathSpec("static-creds/{name}", handlers: [
                .read: { ctx, _ in
                    guard let role = try await ctx.storage.getJSON("static-role/" + ctx.capture("name"), as: StaticRole.self) else { return nil }
                    let now = Date()
                    return LogicalResponse(data: [
                        "username": .string(role.username), "password": .string(role.password),
                        "last_vault_rotation": .string(GoFormat.time(role.lastRotation)),
                        "rotation_period": .int(role.rotationPeriod),
                        "ttl": .int(max(0, SafeNumbers.seconds(until: role.nextRotation().timeIntervalSince(now).rounded(.down)))),
                    ])
                },
            ]),
            PathSpec("rotate-role/{name}", handlers: [
                .update: { ctx, _ in
                    let name = ctx.capture("name")
                    await ctx.storage.lock("static-role/" + name)
                    guard var role = try await ctx.storage.getJSON("static-role/" + name, as: StaticRole.self) else {
                        throw TresorError.badRequest("unknown static role \(name)")
                    }
                    try await rotate(&role, storage: ctx.storage, pools: pools)
                    try await ctx.storage.putJSON("static-role/" + name, role)
                    return nil
                },
            ]),
        ]
    }

    static func writeStaticRole(_ ctx: RequestContext, _ fields: FieldData, _ pools: MountPools) async throws -> LogicalResponse? {
        let name = ctx.capture("name")
        await ctx.storage.lock("static-role/" + name)
        let existing = try await ctx.storage.getJSON("static-role/" + name, as: StaticRole.self)
        var role = existing ?? StaticRole(dbName: "", username: "", rotationPeriod: 0, rotationStatements: [], password: "", lastRotation: Date())
        if fields.has("db_name") { role.dbName = try fields.string("db_name") }
        if fields.has("username") {
            let username = try fields.string("username")
            guard existing == nil || existing?.username == username else { throw TresorError.badRequest("cannot update static account username") }
            role.username = username
        }
        if fields.has("rotation_period") { role.rotationPeriod = try fields.duration("rotation_period") }
        if fields.has("rotation_statements") { role.rotationStatements = try DatabaseFields.statements(fields.raw["rotation_statements"]) }
        guard !role.dbName.isEmpty, !role.username.isEmpty else { throw TresorError.badRequest("db_name and username are required") }
        guard role.rotationPeriod >= 5 else { throw TresorError.badRequest("rotation_period must be 5 seconds or more") }
        guard SQLTemplate.sanitize(role.username, limit: 63) == role.username else {
            throw TresorError.badRequest("username may contain only letters, digits, '-' and '_'")
        }
        guard let config = try await config(ctx.storage, role.dbName) else { throw TresorError.badRequest("database configuration \(role.dbName) not found") }
        guard RoleGlob.matches(config.allowedRoles, name) else { throw TresorError.badRequest("\"\(name)\" is not an allowed role") }
        if existing == nil {
            // Take the account over now: from here on only Tresor knows its password.
            try await rotate(&role, storage: ctx.storage, pools: pools)
        }
        try await ctx.storage.putJSON("static-role/" + name, role)
        return nil
    }

    static func rotate(_ role: inout StaticRole, storage: StorageView, pools: MountPools) async throws {
        guard let config = try await config(storage, role.dbName) else { throw TresorError.badRequest("database configuration \(role.dbName) not found") }
        let password = SQLTemplate.password()
        let templates = role.rotationStatements.isEmpty ? [defaultStaticRotation] : role.rotationStatements
        try await pools.plugin.execute(render(templates, ["name": role.username, "username": role.username, "password": password]),
                                                config: config, key: pools.key(role.dbName))
        role.password = password
        role.lastRotation = Date()
    }

    /// Rotates every static role whose period is up.
    static func rotateDue(storage: StorageView, pools: MountPools) async throws {
        let now = Date()
        for name in try await storage.list("static-role/") where !name.hasSuffix("/") {
            await storage.lock("static-role/" + name)
            guard var role = try await storage.getJSON("static-role/" + name, as: StaticRole.self), role.nextRotation() <= now else { continue }
            try await rotate(&role, storage: storage, pools: pools)
            try await storage.putJSON("static-role/" + name, role)
        }
    }
}

import Foundation
import TresorCore

/// The database secrets engine: short-lived database users, each behind its own lease.
///
/// Storage: `config/<name>` (admin connection, password included — behind the barrier like
/// everything), `role/<name>`.
struct DatabaseBackend: LeasingBackend {
    let paths: [PathSpec]
    let secretTypes: [String: SecretType]

    static let defaultRevocation = """
        REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA public FROM "{{name}}";
        REVOKE ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA public FROM "{{name}}";
        REVOKE ALL PRIVILEGES ON ALL FUNCTIONS IN SCHEMA public FROM "{{name}}";
        REVOKE USAGE ON SCHEMA public FROM "{{name}}";
        REASSIGN OWNED BY "{{name}}" TO CURRENT_USER;
        DROP OWNED BY "{{name}}";
        DROP ROLE IF EXISTS "{{name}}";
        """
    static let defaultRenew = #"ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}';"#
    static let defaultRootRotation = #"ALTER ROLE "{{name}}" WITH PASSWORD '{{password}}';"#

    init(mount: MountEntry) {
        let poolKey: @Sendable (String) -> String = { "\(mount.uuid)/\($0)" }
        paths = Self.configPaths(poolKey) + Self.rolePaths() + Self.credsPaths(poolKey) + Self.staticRolePaths(poolKey)
        secretTypes = [
            "creds": SecretType(name: "creds", renew: { ctx in
                try await Self.renew(ctx, poolKey: poolKey)
            }, revoke: { ctx in
                try await Self.revoke(ctx, poolKey: poolKey)
            }),
        ]
    }

    func periodic(storage: StorageView, mount: MountEntry) async throws {
        try await Self.rotateDue(storage: storage, mount: mount)
    }

    static func config(_ storage: StorageView, _ name: String) async throws -> DatabaseConfig? {
        try await storage.getJSON("config/" + name, as: DatabaseConfig.self)
    }

    /// Renders a role's statements for one user and splits them into single statements.
    static func render(_ templates: [String], _ values: [String: String]) -> [String] {
        templates.flatMap { SQLTemplate.split(SQLTemplate.render($0, values)) }
    }

    static func revoke(_ ctx: LeaseContext, poolKey: @Sendable (String) -> String) async throws {
        let data = ctx.lease.internalData
        guard let username = data["username"], let dbName = data["db_name"] else { return }
        guard let config = try await config(ctx.storage, dbName) else {
            throw TresorError.internalError("database configuration \(dbName) is gone; cannot revoke \(username)")
        }
        // The role's statements as they are now; its defaults if the role was deleted meanwhile.
        let role = try await ctx.storage.getJSON("role/" + (data["role"] ?? ""), as: DatabaseRole.self)
        let templates = (role?.revocationStatements.isEmpty ?? true) ? [defaultRevocation] : role!.revocationStatements
        try await PostgresPlugin.shared.execute(render(templates, ["name": username, "username": username]), config: config, key: poolKey(dbName))
    }

    static func renew(_ ctx: LeaseContext, poolKey: @Sendable (String) -> String) async throws {
        let data = ctx.lease.internalData
        guard let username = data["username"], let dbName = data["db_name"], let until = ctx.newExpireTime else { return }
        guard let config = try await config(ctx.storage, dbName) else {
            throw TresorError.badRequest("database configuration \(dbName) is gone")
        }
        let role = try await ctx.storage.getJSON("role/" + (data["role"] ?? ""), as: DatabaseRole.self)
        let templates = (role?.renewStatements.isEmpty ?? true) ? [defaultRenew] : role!.renewStatements
        let expiration = SQLTemplate.expiration(Date(timeIntervalSince1970: until))
        try await PostgresPlugin.shared.execute(render(templates, ["name": username, "username": username, "expiration": expiration]),
                                                config: config, key: poolKey(dbName))
    }
}

import Foundation
import TresorCore

/// The database secrets engine: short-lived database users, each behind its own lease.
///
/// Storage: `config/<name>` (admin connection, password included — behind the barrier like
/// everything), `role/<name>`.
struct DatabaseBackend: LeasingBackend {
    let paths: [PathSpec]
    let secretTypes: [String: SecretType]
    private let pools: MountPools

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
        let pools = MountPools()
        self.pools = pools
        paths = Self.configPaths(pools) + Self.rolePaths() + Self.credsPaths(pools) + Self.staticRolePaths(pools)
        secretTypes = [
            "creds": SecretType(name: "creds", renew: { ctx in
                try await Self.renew(ctx, pools: pools)
            }, revoke: { ctx in
                try await Self.revoke(ctx, pools: pools)
            }),
        ]
    }

    /// The mount is gone: its connection pools close with it.
    func cleanup() async {
        pools.plugin.closeAll()
    }

    func periodic(storage: StorageView, mount: MountEntry) async throws {
        try await Self.rotateDue(storage: storage, pools: pools)
    }

    static func config(_ storage: StorageView, _ name: String) async throws -> DatabaseConfig? {
        try await storage.getJSON("config/" + name, as: DatabaseConfig.self)
    }

    /// Renders a role's statements for one user and splits them into single statements.
    static func render(_ templates: [String], _ values: [String: String]) -> [String] {
        templates.flatMap { SQLTemplate.split(SQLTemplate.render($0, values)) }
    }

    static func revoke(_ ctx: LeaseContext, pools: MountPools) async throws {
        try await dropUser(ctx.lease.internalData, storage: ctx.storage, pools: pools)
    }

    /// Runs a role's revocation statements for the user in `data` (`username`, `db_name`, `role`).
    static func dropUser(_ data: [String: String], storage: StorageView, pools: MountPools) async throws {
        guard let username = data["username"], let dbName = data["db_name"] else { return }
        guard let config = try await config(storage, dbName) else {
            throw TresorError.internalError("database configuration \(dbName) is gone; cannot revoke \(username)")
        }
        // The role's statements as they are now; its defaults if the role was deleted meanwhile.
        let role = try await storage.getJSON("role/" + (data["role"] ?? ""), as: DatabaseRole.self)
        let templates = (role?.revocationStatements.isEmpty ?? true) ? [defaultRevocation] : role!.revocationStatements
        try await pools.plugin.execute(render(templates, ["name": username, "username": username]), config: config, key: pools.key(dbName),
                                       ifRoleExists: username)
    }

    /// Undoes what a request did to a database and then did not commit: a user it created is
    /// dropped; a root password it rotated is set back (connecting with the new one).
    func rollback(_ data: [String: String], storage: StorageView) async throws {
        switch data["effect"] {
        case "creds":
            try await Self.dropUser(data, storage: storage, pools: pools)
        case "rotate-root":
            guard let name = data["db_name"], let old = data["old_password"], let new = data["new_password"],
                  var config = try await Self.config(storage, name) else { return }
            // The stored config still holds the old password unless a later rotation changed it.
            guard config.password == old else { return }
            config.password = new
            let user = SQLTemplate.sanitize(config.username, limit: 63)
            let templates = config.rootRotationStatements.isEmpty ? [Self.defaultRootRotation] : config.rootRotationStatements
            pools.plugin.forget(key: pools.key(name))
            try await pools.plugin.execute(Self.render(templates, ["name": user, "username": user, "password": old]),
                                                    config: config, key: pools.key(name) + "/rollback")
            pools.plugin.forget(key: pools.key(name) + "/rollback")
        default:
            return
        }
    }

    static func renew(_ ctx: LeaseContext, pools: MountPools) async throws {
        let data = ctx.lease.internalData
        guard let username = data["username"], let dbName = data["db_name"], let until = ctx.newExpireTime else { return }
        guard let config = try await config(ctx.storage, dbName) else {
            throw TresorError.badRequest("database configuration \(dbName) is gone")
        }
        let role = try await ctx.storage.getJSON("role/" + (data["role"] ?? ""), as: DatabaseRole.self)
        let templates = (role?.renewStatements.isEmpty ?? true) ? [defaultRenew] : role!.renewStatements
        let expiration = SQLTemplate.expiration(Date(timeIntervalSince1970: until))
        try await pools.plugin.execute(render(templates, ["name": username, "username": username, "expiration": expiration]),
                                                config: config, key: pools.key(dbName))
    }
}

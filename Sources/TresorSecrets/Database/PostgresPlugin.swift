import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization
import TresorCore
import TresorPostgres

/// The connection pools of one database mount, named by config: the mount owns them and
/// closes them when it is disabled.
struct MountPools: Sendable {
    let plugin = PostgresPlugin()

    func key(_ name: String) -> String { name }
}

/// Runs statements against a configured PostgreSQL database through a pooled client per
/// configuration. Statements of one operation run between one BEGIN and COMMIT: all or nothing.
final class PostgresPlugin: Sendable {
    private final class Pool: Sendable {
        let client: PostgresClient
        let runner: Task<Void, Never>
        init(_ client: PostgresClient) {
            self.client = client
            // Detached: a pool is first used inside a request, whose task-locals carry the
            // listener's graceful-shutdown signal. Inherited, that signal would wind the pool
            // down under the very requests a SIGTERM lets finish. The mount owns the pool and
            // closes it (`forgetAll`), and the process's end closes the rest.
            runner = Task.detached { await client.run() }
        }
    }

    private let pools = Mutex<[String: Pool]>([:])
    private let logger = Logger(label: "tresor.database")

    static let supported = ["postgresql-database-plugin"]

    /// The client for this exact configuration; a changed URL or password gets a new pool.
    private func client(_ config: DatabaseConfig, key: String) throws -> PostgresClient {
        let fingerprint = key + "|" + config.connectionURL + "|" + config.username + "|" + config.password
        if let pool = pools.withLock({ $0[fingerprint] }) { return pool.client }
        let rendered = SQLTemplate.render(config.connectionURL, [
            "username": config.username.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "",
            "password": config.password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "",
        ])
        var configuration = try Self.configuration(from: rendered)
        // A URL without credentials uses the username and password fields directly.
        if configuration.username.isEmpty { configuration.username = config.username }
        if configuration.password == nil && !config.password.isEmpty { configuration.password = config.password }
        configuration.options.maximumConnections = max(1, config.maxOpenConnections)
        configuration.options.connectTimeout = .seconds(5)
        let pool = Pool(PostgresClient(configuration: configuration, backgroundLogger: logger))
        return pools.withLock { table in
            // Drop pools of older settings for the same config.
            for (existing, old) in table where existing.hasPrefix(key + "|") && existing != fingerprint {
                old.runner.cancel()
                table.removeValue(forKey: existing)
            }
            if let raced = table[fingerprint] {
                pool.runner.cancel()
                return raced.client
            }
            table[fingerprint] = pool
            return pool.client
        }
    }

    func forget(key: String) {
        forget { $0.hasPrefix(key + "|") }
    }

    /// Closes every pool: the mount that owns them is gone.
    func closeAll() {
        forget { _ in true }
    }

    private func forget(where matches: (String) -> Bool) {
        pools.withLock { table in
            for (existing, pool) in table where matches(existing) {
                pool.runner.cancel()
                table.removeValue(forKey: existing)
            }
        }
    }

    static func configuration(from url: String) throws -> PostgresClient.Configuration {
        do {
            return try PostgresURL.configuration(from: url)
        } catch {
            throw TresorError.badRequest("connection_url must look like postgresql://{{username}}:{{password}}@host:5432/database")
        }
    }

    /// Runs every statement (templates already rendered) between one BEGIN and COMMIT.
    /// Runs `statements` atomically. With `ifRoleExists`, only while that role exists:
    /// a revocation that already happened (the server died before it could forget the lease)
    /// is not run a second time.
    func execute(_ statements: [String], config: DatabaseConfig, key: String, ifRoleExists role: String? = nil) async throws {
        let client = try client(config, key: key)
        let logger = self.logger
        do {
            try await withDeadline(.seconds(10), failure: { TresorError.internalError("database error: no answer from the database within 10s") }) {
                try await client.withTransaction(logger: logger) { connection in
                    if let role {
                        let rows = try await connection.query("SELECT 1 FROM pg_roles WHERE rolname = \(role)", logger: logger)
                        var exists = false
                        for try await _ in rows { exists = true }
                        guard exists else { return }
                    }
                    for statement in statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                }
            }
        } catch let error as TresorError {
            throw error
        } catch let error as PSQLError {
            throw TresorError.internalError("database error: \(Self.describe(error))")
        } catch {
            throw TresorError.internalError("database error: \(error)")
        }
    }

    func verify(_ config: DatabaseConfig, key: String) async throws {
        try await execute(["SELECT 1"], config: config, key: key)
    }

    /// What went wrong, in PostgreSQL's words, without the statement (it may hold a password).
    static func describe(_ error: PSQLError) -> String {
        if let message = error.serverInfo?[.message] { return message }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection: return "cannot connect to the database"
        default: return "\(error.code)"
        }
    }
}

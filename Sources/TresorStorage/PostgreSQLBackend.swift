import Foundation
import Logging
import NIOCore
import PostgresNIO
@_spi(Server) import TresorCore
import TresorPostgres

/// The shared store for several nodes: one table of key → encrypted value in PostgreSQL.
/// Keys use the "C" collation so a prefix is one index range, as in the SQLite backend.
public final class PostgreSQLBackend: PhysicalBackend {
    private let client: PostgresClient
    private let table: String
    private let logger: Logger
    private let runner: Task<Void, Never>

    /// - Parameter connectionURL: `postgres://user:password@host:port/database?sslmode=disable|prefer|require`
    public static func open(connectionURL: String, table: String = "tresor_kv", logger: Logger) async throws -> PostgreSQLBackend {
        guard table.range(of: "^[A-Za-z_][A-Za-z0-9_]{0,62}$", options: .regularExpression) != nil else {
            throw StorageError("table name \"\(table)\" must be a plain SQL identifier")
        }
        var configuration: PostgresClient.Configuration
        do {
            configuration = try PostgresURL.configuration(from: connectionURL)
        } catch {
            throw StorageError("\(error)")
        }
        if configuration.username.isEmpty { configuration.username = "postgres" }
        configuration.options.maximumConnections = 16
        let backend = PostgreSQLBackend(client: PostgresClient(configuration: configuration, backgroundLogger: logger), table: table, logger: logger)
        do {
            try await backend.client.query(
                "CREATE TABLE IF NOT EXISTS \(unescaped: table) (key TEXT COLLATE \"C\" PRIMARY KEY, value BYTEA NOT NULL)",
                logger: logger)
        } catch {
            backend.runner.cancel()
            throw StorageError("cannot use PostgreSQL at \(PostgresURL.redacted(connectionURL)): \(String(reflecting: error))")
        }
        return backend
    }

    private init(client: PostgresClient, table: String, logger: Logger) {
        self.client = client
        self.table = table
        self.logger = logger
        runner = Task { await client.run() }
    }

    deinit {
        runner.cancel()
    }

    public func get(_ key: String) async throws -> [UInt8]? {
        let rows = try await client.query("SELECT value FROM \(unescaped: table) WHERE key = \(key)", logger: logger)
        for try await (value) in rows.decode(ByteBuffer.self) {
            return Array(value.readableBytesView)
        }
        return nil
    }

    public func list(prefix: String) async throws -> [String] {
        let upper = prefix + "\u{10FFFF}"
        let rows = try await client.query(
            "SELECT key FROM \(unescaped: table) WHERE key >= \(prefix) AND key < \(upper) ORDER BY key", logger: logger)
        var children = Set<StorageKey>()
        for try await (key) in rows.decode(String.self) where StorageKey.isBelow(key, prefix) {
            children.insert(StorageKey(childName(of: key, under: prefix)))
        }
        return children.map(\.string).sorted()
    }

    public func commit(_ operations: [StorageOperation]) async throws {
        guard !operations.isEmpty else { return }
        let table = self.table
        try await client.withTransaction(logger: logger) { connection in
            for op in operations {
                switch op {
                case .put(let key, let value):
                    try await connection.query(
                        "INSERT INTO \(unescaped: table) (key, value) VALUES (\(key), \(ByteBuffer(bytes: value))) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                        logger: logger)
                case .delete(let key):
                    try await connection.query("DELETE FROM \(unescaped: table) WHERE key = \(key)", logger: logger)
                }
            }
        }
    }
}

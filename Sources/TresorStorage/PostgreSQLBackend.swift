import Foundation
import Logging
import NIOCore
import PostgresNIO
import TresorCore

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
        let configuration = try Self.configuration(from: connectionURL)
        let backend = PostgreSQLBackend(client: PostgresClient(configuration: configuration, backgroundLogger: logger), table: table, logger: logger)
        do {
            try await backend.client.query(
                "CREATE TABLE IF NOT EXISTS \(unescaped: table) (key TEXT COLLATE \"C\" PRIMARY KEY, value BYTEA NOT NULL)",
                logger: logger)
        } catch {
            backend.runner.cancel()
            throw StorageError("cannot use PostgreSQL at \(Self.redacted(connectionURL)): \(String(reflecting: error))")
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

    static func configuration(from url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty else {
            throw StorageError("connection_url must look like postgres://user:password@host:5432/database")
        }
        let sslmode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS
        switch sslmode {
        case "disable": tls = .disable
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        default: tls = .prefer(.makeClientConfiguration())
        }
        let database = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: components.user?.removingPercentEncoding ?? "postgres",
            password: components.password?.removingPercentEncoding, database: database.isEmpty ? nil : database, tls: tls)
        configuration.options.maximumConnections = 16
        return configuration
    }

    /// The URL without its password, for messages.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "the configured connection_url" }
        if components.password != nil { components.password = "***" }
        return components.string ?? "the configured connection_url"
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
        var children = Set<String>()
        for try await (key) in rows.decode(String.self) where key.hasPrefix(prefix) && key.count > prefix.count {
            children.insert(childName(of: key, under: prefix))
        }
        return children.sorted()
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

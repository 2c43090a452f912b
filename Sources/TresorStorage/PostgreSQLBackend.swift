import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization
@_spi(Server) import TresorCore
import TresorPostgres

/// The shared store for several nodes: one table of key → encrypted value in PostgreSQL.
/// Keys use the "C" collation so a prefix is one index range, as in the SQLite backend.
public final class PostgreSQLBackend: PhysicalBackend {
    let client: PostgresClient
    private let table: String
    let logger: Logger
    private let runner: Task<Void, Never>
    /// Commits queue here and reach PostgreSQL as groups (GroupCommit.swift).
    private let group: GroupCommit
    /// Vault's `ha_table` when `ha_enabled`: the lock (PostgreSQLHALock.swift) and the fence.
    let haTable: String?
    /// The node every commit must hold the lock for (the active node's own identity).
    let fenceIdentity = Mutex<String?>(nil)
    /// Told when a commit finds the lock gone, so the node steps down.
    private let fenceLost = Mutex<(@Sendable () -> Void)?>(nil)

    public func onFenceLost(_ handler: @escaping @Sendable () -> Void) {
        fenceLost.withLock { $0 = handler }
    }

    /// - Parameter connectionURL: `postgres://user:password@host:port/database?sslmode=disable|prefer|require`
    public static func open(connectionURL: String, table: String = "tresor_kv", haTable: String? = nil, logger: Logger) async throws -> PostgreSQLBackend {
        for name in [table] + (haTable.map { [$0] } ?? []) where name.range(of: "^[A-Za-z_][A-Za-z0-9_]{0,62}$", options: .regularExpression) == nil {
            throw StorageError("table name \"\(name)\" must be a plain SQL identifier")
        }
        var configuration: PostgresClient.Configuration
        do {
            configuration = try PostgresURL.configuration(from: connectionURL)
        } catch {
            throw StorageError("\(error)")
        }
        if configuration.username.isEmpty { configuration.username = "postgres" }
        configuration.options.maximumConnections = 16
        let backend = PostgreSQLBackend(client: PostgresClient(configuration: configuration, backgroundLogger: logger), table: table,
                                        haTable: haTable, logger: logger)
        do {
            try await backend.client.query(
                "CREATE TABLE IF NOT EXISTS \(unescaped: table) (key TEXT COLLATE \"C\" PRIMARY KEY, value BYTEA NOT NULL)",
                logger: logger)
            try await backend.createHATable()
        } catch {
            backend.runner.cancel()
            throw StorageError("cannot use PostgreSQL at \(PostgresURL.redacted(connectionURL)): \(String(reflecting: error))")
        }
        return backend
    }

    private init(client: PostgresClient, table: String, haTable: String?, logger: Logger) {
        self.client = client
        self.table = table
        self.haTable = haTable
        self.logger = logger
        runner = Task { await client.run() }
        group = GroupCommit()
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
        try await list(prefix: prefix, after: nil, limit: nil)
    }

    /// Keys use the "C" collation, so a folder's children come from pages of one index range,
    /// each subfolder skipped in one seek (ChildScan.swift).
    public func count(prefix: String) async throws -> Int {
        let upper = prefix + "\u{10FFFF}"
        let rows = try await client.query("SELECT count(*) FROM \(unescaped: table) WHERE key >= \(prefix) AND key < \(upper)", logger: logger)
        for try await n in rows.decode(Int.self) { return n }
        return 0
    }

    public func list(prefix: String, after: String?, limit: Int?) async throws -> [String] {
        let table = self.table
        return try await ChildScan.children(of: prefix, after: after, limit: limit) { lower, inclusive, upper, count in
            let rows = inclusive
                ? try await self.client.query(
                    "SELECT key FROM \(unescaped: table) WHERE key >= \(lower) AND key < \(upper) ORDER BY key LIMIT \(count)", logger: self.logger)
                : try await self.client.query(
                    "SELECT key FROM \(unescaped: table) WHERE key > \(lower) AND key < \(upper) ORDER BY key LIMIT \(count)", logger: self.logger)
            var keys: [String] = []
            for try await key in rows.decode(String.self) { keys.append(key) }
            return keys
        }
    }

    public func commit(_ operations: [StorageOperation]) async throws {
        guard !operations.isEmpty else { return }
        try await group.commit(operations) { batches in await self.writeGroup(batches) }
    }

    /// Batches written and the PostgreSQL transactions they took.
    public var groupCommitCounts: (batches: Int, groups: Int) { group.counts }

    /// A group goes to PostgreSQL as one transaction of two statements, whatever its size: the
    /// batches folded into the final value of each key, written with one upsert and one delete
    /// over arrays (GroupCommit.wholeThenEach: a batch that cannot be written fails alone).
    private func writeGroup(_ batches: [[StorageOperation]]) async -> [Result<Void, any Error>] {
        await GroupCommit.wholeThenEach(batches) { batches in
            let folded = FoldedBatches(batches)
            let fence = fenceIdentity.withLock { $0 }
            // PostgresNIO wraps what the body throws; the fence's refusal is told apart by this flag.
            let fenced = Atomic<Bool>(false)
            do {
                try await write(putKeys: folded.puts.map(\.key), putValues: folded.puts.map { ByteBuffer(bytes: $0.value) },
                                deleteKeys: folded.deletes, fence: fence, fenced: fenced)
            } catch {
                if fenced.load(ordering: .relaxed) { throw TresorError.fencedOut }
                throw error
            }
        }
    }

    private func write(putKeys: [String], putValues: [ByteBuffer], deleteKeys: [String], fence: String?,
                       fenced: borrowing Atomic<Bool>) async throws {
        let table = self.table
        let haTable = self.haTable
        let lockKey = Self.lockKey
        try await client.withTransaction(logger: logger) { connection in
            if let fence, let haTable {
                // Fencing: the lock row, shared-locked for this transaction, must still be ours
                // and live. A node that was frozen past its lock's expiry writes nothing.
                let rows = try await connection.query(
                    "SELECT 1 FROM \(unescaped: haTable) WHERE ha_key = \(lockKey) AND ha_identity = \(fence) AND valid_until > NOW() FOR SHARE",
                    logger: logger)
                var held = false
                for try await _ in rows { held = true }
                guard held else {
                    fenced.store(true, ordering: .relaxed)
                    fenceLost.withLock { $0 }?()
                    throw TresorError.fencedOut
                }
            }
            if !putKeys.isEmpty {
                try await connection.query(
                    "INSERT INTO \(unescaped: table) (key, value) SELECT * FROM unnest(\(putKeys)::text[], \(putValues)::bytea[]) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                    logger: logger)
            }
            if !deleteKeys.isEmpty {
                try await connection.query("DELETE FROM \(unescaped: table) WHERE key = ANY(\(deleteKeys)::text[])", logger: logger)
            }
        }
    }
}

import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLiteNIO
@_spi(Server) import TresorCore

/// The embedded default store: one SQLite file in WAL mode.
///
/// A commit returns only once SQLite has synced it to disk (synchronous=FULL), so a client never
/// hears "done" about a write that a crash could lose. Reads go to a small pool of connections,
/// which WAL lets run beside the single writer. Concurrent commits share a transaction and its
/// sync (GroupCommit.swift), each request's batch atomic inside it.
public final class SQLiteBackend: PhysicalBackend {
    private let writer: SQLiteConnection
    /// The writer's own thread: its few statements per group never queue behind the readers'
    /// queries on the shared pool, so a group's latency is SQLite's work and the sync alone.
    private static let writerThread: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()
    private let readers: [SQLiteConnection]
    /// Commits queue here and reach the writer connection as groups, one at a time.
    private let group = GroupCommit()
    private let next = ManagedAtomicCounter()

    public static func open(path: String, readers readerCount: Int = 4, logger: Logger) async throws -> SQLiteBackend {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw StorageError("storage directory \(directory) does not exist")
            }
            guard FileManager.default.isWritableFile(atPath: directory) else {
                throw StorageError("storage directory \(directory) is not writable")
            }
        }
        let writer: SQLiteConnection
        do {
            writer = try await SQLiteConnection.open(storage: .file(path: path), threadPool: writerThread, logger: logger,
                                                     on: MultiThreadedEventLoopGroup.singleton.any())
        } catch {
            throw StorageError("cannot open SQLite database at \(path): \(error)")
        }
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=10000"] {
            _ = try await writer.query(pragma)
        }
        _ = try await writer.query("CREATE TABLE IF NOT EXISTS tresor_kv (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID")
        var readers: [SQLiteConnection] = []
        for _ in 0..<max(1, readerCount) {
            let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            _ = try await reader.query("PRAGMA busy_timeout=10000")
            readers.append(reader)
        }
        return SQLiteBackend(writer: writer, readers: readers)
    }

    private init(writer: SQLiteConnection, readers: [SQLiteConnection]) {
        self.writer = writer
        self.readers = readers
    }

    private var reader: SQLiteConnection {
        readers[next.increment() % readers.count]
    }

    public func get(_ key: String) async throws -> [UInt8]? {
        let rows = try await reader.query("SELECT value FROM tresor_kv WHERE key = ?", [.text(key)])
        guard let row = rows.first, case .blob(let buffer)? = row.column("value") else { return nil }
        return Array(buffer.readableBytesView)
    }

    public func list(prefix: String) async throws -> [String] {
        try await list(prefix: prefix, after: nil, limit: nil)
    }

    /// Keys sort bytewise, so a folder's children come from pages of one index range, each
    /// subfolder skipped in one seek (ChildScan.swift).
    public func list(prefix: String, after: String?, limit: Int?) async throws -> [String] {
        try await ChildScan.children(of: prefix, after: after, limit: limit) { lower, inclusive, upper, count in
            let rows = try await self.reader.query(
                inclusive ? "SELECT key FROM tresor_kv WHERE key >= ? AND key < ? ORDER BY key LIMIT ?"
                    : "SELECT key FROM tresor_kv WHERE key > ? AND key < ? ORDER BY key LIMIT ?",
                [.text(lower), .text(upper), .integer(count)])
            return rows.compactMap { $0.column("key")?.string }
        }
    }

    public func count(prefix: String) async throws -> Int {
        let rows = try await reader.query("SELECT count(*) AS n FROM tresor_kv WHERE key >= ? AND key < ?",
                                          [.text(prefix), .text(prefix + "\u{10FFFF}")])
        return rows.first?.column("n")?.integer ?? 0
    }

    public func commit(_ operations: [StorageOperation]) async throws {
        guard !operations.isEmpty else { return }
        try await group.commit(operations) { [writer] batches in await Self.writeGroup(writer, batches) }
    }

    /// Batches written and the SQLite transactions (and syncs) they took.
    public var groupCommitCounts: (batches: Int, groups: Int) { group.counts }

    /// One transaction, one sync, for every batch in the group, in a handful of statements
    /// whatever the group's size: each statement is a hop to SQLite's thread and back, and those
    /// hops, not the sync, bound a writer that ran a statement per operation. The batches are
    /// folded into the last word on each key (GroupCommit.wholeThenEach: should the group fail,
    /// each batch is written alone, so a batch that cannot be written fails by itself).
    private static func writeGroup(_ writer: SQLiteConnection, _ batches: [[StorageOperation]]) async -> [Result<Void, any Error>] {
        await GroupCommit.wholeThenEach(batches) { batches in
            let folded = FoldedBatches(batches)
            _ = try await writer.query("BEGIN IMMEDIATE")
            do {
                for chunk in folded.puts.chunks(of: rowsPerStatement) {
                    var binds: [SQLiteData] = []
                    binds.reserveCapacity(chunk.count * 2)
                    for put in chunk {
                        binds.append(.text(put.key))
                        binds.append(.blob(ByteBuffer(bytes: put.value)))
                    }
                    let rows = Array(repeating: "(?, ?)", count: chunk.count).joined(separator: ", ")
                    _ = try await writer.query(
                        "INSERT INTO tresor_kv (key, value) VALUES \(rows) ON CONFLICT(key) DO UPDATE SET value = excluded.value", binds)
                }
                for chunk in folded.deletes.chunks(of: rowsPerStatement) {
                    let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                    _ = try await writer.query("DELETE FROM tresor_kv WHERE key IN (\(marks))", chunk.map { .text($0) })
                }
                _ = try await writer.query("COMMIT")
            } catch {
                _ = try? await writer.query("ROLLBACK")
                throw error
            }
        }
    }

    /// Rows per statement: well inside SQLite's limit of 32,766 bound values.
    private static let rowsPerStatement = 500

    public func close() async {
        try? await writer.close()
        for reader in readers { try? await reader.close() }
    }
}

public struct StorageError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

import Synchronization

/// Round-robin index for the reader pool.
final class ManagedAtomicCounter: Sendable {
    private let value = Atomic<Int>(0)
    func increment() -> Int { value.wrappingAdd(1, ordering: .relaxed).oldValue & Int.max }
}

import Foundation
import Logging
import NIOCore
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
            writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
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
        // Keys sort bytewise, so everything under the prefix is one range scan.
        let rows = try await reader.query(
            "SELECT key FROM tresor_kv WHERE key >= ? AND key < ? ORDER BY key",
            [.text(prefix), .text(prefix + "\u{10FFFF}")])
        var children = Set<StorageKey>()
        for row in rows {
            guard let key = row.column("key")?.string, StorageKey.isBelow(key, prefix) else { continue }
            children.insert(StorageKey(childName(of: key, under: prefix)))
        }
        return children.map(\.string).sorted()
    }

    public func commit(_ operations: [StorageOperation]) async throws {
        guard !operations.isEmpty else { return }
        try await group.commit(operations) { [writer] batches in await Self.writeGroup(writer, batches) }
    }

    /// Batches written and the SQLite transactions (and syncs) they took.
    public var groupCommitCounts: (batches: Int, groups: Int) { group.counts }

    /// One transaction, one sync, for every batch in the group; each batch inside its own
    /// savepoint, so a batch that fails is rolled back alone and the others still commit.
    private static func writeGroup(_ writer: SQLiteConnection, _ batches: [[StorageOperation]]) async -> [Result<Void, any Error>] {
        func failAll(_ error: any Error) async -> [Result<Void, any Error>] {
            _ = try? await writer.query("ROLLBACK")
            return batches.map { _ in .failure(error) }
        }
        do {
            _ = try await writer.query("BEGIN IMMEDIATE")
        } catch {
            return batches.map { _ in .failure(error) }
        }
        var results: [Result<Void, any Error>] = []
        results.reserveCapacity(batches.count)
        if batches.count == 1 {
            // Alone in its group: the transaction itself is the unit, no savepoint needed.
            do {
                try await apply(batches[0], on: writer)
            } catch {
                return await failAll(error)
            }
            results.append(.success(()))
        } else {
            for batch in batches {
                do {
                    _ = try await writer.query("SAVEPOINT batch")
                } catch {
                    return await failAll(error)
                }
                do {
                    try await apply(batch, on: writer)
                    _ = try await writer.query("RELEASE batch")
                    results.append(.success(()))
                } catch {
                    do {
                        _ = try await writer.query("ROLLBACK TO batch")
                        _ = try await writer.query("RELEASE batch")
                    } catch {
                        // The transaction is in an unknown state: nothing in it may stand.
                        return await failAll(error)
                    }
                    results.append(.failure(error))
                }
            }
            if !results.contains(where: { if case .success = $0 { true } else { false } }) {
                _ = try? await writer.query("ROLLBACK")
                return results
            }
        }
        do {
            _ = try await writer.query("COMMIT")
        } catch {
            return await failAll(error)
        }
        return results
    }

    private static func apply(_ operations: [StorageOperation], on writer: SQLiteConnection) async throws {
        for op in operations {
            switch op {
            case .put(let key, let value):
                _ = try await writer.query("INSERT INTO tresor_kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                                           [.text(key), .blob(ByteBuffer(bytes: value))])
            case .delete(let key):
                _ = try await writer.query("DELETE FROM tresor_kv WHERE key = ?", [.text(key)])
            }
        }
    }

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

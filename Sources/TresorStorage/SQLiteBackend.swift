import Foundation
import Logging
import NIOCore
import SQLiteNIO
@_spi(Server) import TresorCore

/// The embedded default store: one SQLite file in WAL mode.
///
/// A commit returns only once SQLite has synced it to disk (synchronous=FULL), so a client never
/// hears "done" about a write that a crash could lose. Reads go to a small pool of connections,
/// which WAL lets run beside the single writer; the writer applies each batch in one
/// transaction.
public final class SQLiteBackend: PhysicalBackend {
    private let writer: SQLiteConnection
    private let readers: [SQLiteConnection]
    private let writeLock = KeyLockTable(shardCount: 1)
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
        await writeLock.acquire("writer")
        defer { writeLock.release("writer") }
        _ = try await writer.query("BEGIN IMMEDIATE")
        do {
            for op in operations {
                switch op {
                case .put(let key, let value):
                    _ = try await writer.query("INSERT INTO tresor_kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                                               [.text(key), .blob(ByteBuffer(bytes: value))])
                case .delete(let key):
                    _ = try await writer.query("DELETE FROM tresor_kv WHERE key = ?", [.text(key)])
                }
            }
            _ = try await writer.query("COMMIT")
        } catch {
            _ = try? await writer.query("ROLLBACK")
            throw error
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

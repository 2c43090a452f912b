import Foundation
import Logging
import SQLiteNIO
import Synchronization
import Testing
@_spi(Server) import TresorCore
@testable import TresorStorage

@Suite struct SQLiteBackendTests {
    func tempPath() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tresor-sqlite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("tresor.db").path
    }

    @Test func storesListsAndSurvivesReopen() async throws {
        let path = try tempPath()
        let backend = try await SQLiteBackend.open(path: path, logger: Logger(label: "test"))
        try await backend.commit([
            .put(key: "a/b/c", value: [1]), .put(key: "a/b/d", value: [2]), .put(key: "a/e", value: [3]), .put(key: "z", value: [4]),
        ])
        #expect(try await backend.list(prefix: "a/") == ["b/", "e"])
        #expect(try await backend.list(prefix: "a/b/") == ["c", "d"])
        #expect(try await backend.list(prefix: "") == ["a/", "z"])
        try await backend.commit([.delete(key: "a/e"), .put(key: "a/b/c", value: [9])])
        await backend.close()

        let reopened = try await SQLiteBackend.open(path: path, logger: Logger(label: "test"))
        #expect(try await reopened.get("a/b/c") == [9])
        #expect(try await reopened.get("a/e") == nil)
        #expect(try await reopened.list(prefix: "a/") == ["b/"])
        await reopened.close()
    }

    @Test func concurrentWritersDoNotLoseBatches() async throws {
        let backend = try await SQLiteBackend.open(path: try tempPath(), logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<50 {
                group.addTask { try await backend.commit([.put(key: "k/\(i)", value: [UInt8(i)]), .put(key: "m/\(i)", value: [1])]) }
            }
            try await group.waitForAll()
        }
        #expect(try await backend.list(prefix: "k/").count == 50)
        #expect(try await backend.list(prefix: "m/").count == 50)
        await backend.close()
    }

    @Test func unwritableOrMissingDirectoryIsAClearError() async throws {
        await #expect(throws: StorageError.self) {
            _ = try await SQLiteBackend.open(path: "/nonexistent-dir-\(UUID().uuidString)/tresor.db", logger: Logger(label: "test"))
        }
    }

    @Test func barrierOverSQLiteKeepsNoPlaintext() async throws {
        let path = try tempPath()
        let backend = try await SQLiteBackend.open(path: path, logger: Logger(label: "test"))
        let core = Core(physical: backend, registry: BackendRegistry(), storageType: "sqlite")
        let (_, root) = try await core.initializeDev(rootTokenID: "plaintext-root-token-value")
        _ = try await core.handle(LogicalRequest(operation: .update, path: "sys/policies/acl/p", data: ["policy": #"path "very-secret-path-name/*" { capabilities = ["read"] }"#], clientToken: root, isWrite: true))
        await backend.close()
        for file in [path, path + "-wal"] where FileManager.default.fileExists(atPath: file) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            #expect(bytes.range(of: Data("plaintext-root-token-value".utf8)) == nil)
            #expect(bytes.range(of: Data("very-secret-path-name".utf8)) == nil)
        }
    }
}

@Suite struct SQLiteGroupCommitTests {
    @Test func aFailingBatchInAGroupFailsAloneAndTheOthersLand() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tresor-sqlite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("tresor.db").path
        let backend = try await SQLiteBackend.open(path: path, logger: Logger(label: "test"))
        // A real failure inside SQLite at commit: a trigger that aborts any write of a key under
        // poison/, as a constraint would.
        let setup = try await SQLiteConnection.open(storage: .file(path: path), logger: Logger(label: "test"))
        _ = try await setup.query("CREATE TRIGGER poison BEFORE INSERT ON tresor_kv WHEN NEW.key LIKE 'poison/%' BEGIN SELECT RAISE(ABORT, 'poisoned key'); END")
        try await setup.close()

        var failed: [Int] = []
        try await withThrowingTaskGroup(of: Int?.self) { group in
            for i in 0..<64 {
                group.addTask {
                    // The poisoned batch writes a good key first: it must vanish with the batch.
                    let batch: [StorageOperation] = i == 20
                        ? [.put(key: "good/\(i)", value: [1]), .put(key: "poison/\(i)", value: [1])]
                        : [.put(key: "good/\(i)", value: [1]), .put(key: "other/\(i)", value: [2])]
                    do {
                        try await backend.commit(batch)
                        return nil
                    } catch {
                        return i
                    }
                }
            }
            for try await failure in group { if let failure { failed.append(failure) } }
        }
        #expect(failed == [20])
        let good = try await backend.list(prefix: "good/")
        #expect(good.count == 63)
        #expect(!good.contains("20"))
        #expect(try await backend.list(prefix: "other/").count == 63)
        let counts = backend.groupCommitCounts
        #expect(counts.batches == 64)
        #expect(counts.groups < counts.batches, "concurrent commits shared transactions")
        await backend.close()

        // What was acknowledged is on disk.
        let reopened = try await SQLiteBackend.open(path: path, logger: Logger(label: "test"))
        #expect(try await reopened.list(prefix: "good/").count == 63)
        await reopened.close()
    }
}

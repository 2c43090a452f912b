import Testing
@_spi(Server) @testable import TresorCore

/// The dev store's folder index must list exactly what a scan of every key would.
@Suite struct InMemoryBackendIndexTests {
    /// What `list` must answer, computed the slow way from every key.
    func reference(_ keys: Set<String>, _ prefix: String) -> [String] {
        Set(keys.filter { StorageKey.isBelow($0, prefix) }.map { childName(of: $0, under: prefix) }).sorted()
    }

    func folders(_ keys: Set<String>) -> Set<String> {
        var all: Set<String> = [""]
        for key in keys {
            var folder = ""
            for segment in key.split(separator: "/", omittingEmptySubsequences: false).dropLast() {
                folder += segment + "/"
                all.insert(folder)
            }
        }
        return all
    }

    @Test func listsMatchAScanUnderRandomChurn() async throws {
        let store = InMemoryBackend(shardCount: 4)
        var generator = SeededGenerator(seed: 42)
        var keys = Set<String>()
        let names = ["a", "b", "c", "a/b", "tok", "x/y/z"]
        for _ in 0..<3000 {
            let depth = Int.random(in: 1...4, using: &generator)
            let key = (0..<depth).map { _ in names.randomElement(using: &generator)! }.joined(separator: "/")
            if keys.contains(key) && Bool.random(using: &generator) {
                try await store.commit([.delete(key: key)])
                keys.remove(key)
            } else {
                try await store.commit([.put(key: key, value: [1])])
                keys.insert(key)
            }
        }
        for folder in folders(keys).union(["nope/", "a/nope/"]) {
            #expect(try await store.list(prefix: folder) == reference(keys, folder), "\(folder)")
        }
        // Deleting everything empties the index.
        try await store.commit(keys.map { .delete(key: $0) })
        #expect(try await store.list(prefix: "") == [])
    }

    @Test func concurrentWritersLeaveAConsistentIndex() async throws {
        let store = InMemoryBackend(shardCount: 8)
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for round in 0..<300 {
                        let key = "sys/token/id/\(worker)-\(round % 50)"
                        try? await store.commit(round % 3 == 2 ? [.delete(key: key)] : [.put(key: key, value: [1])])
                    }
                }
            }
        }
        let keys = Set(store.allValues().keys)
        for folder in ["", "sys/", "sys/token/", "sys/token/id/"] {
            #expect(try await store.list(prefix: folder) == reference(keys, folder))
        }
        #expect(try await store.list(prefix: "sys/tok") == ["en/"])
    }
}

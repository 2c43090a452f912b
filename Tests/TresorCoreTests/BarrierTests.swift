import Crypto
import Testing
@_spi(Server) @testable import TresorCore

@Suite struct BarrierTests {
    func openBarrier() async throws -> (Barrier, InMemoryBackend) {
        let physical = InMemoryBackend()
        let barrier = Barrier(physical: physical)
        try await barrier.initialize(rootKey: SymmetricKey(size: .bits256))
        return (barrier, physical)
    }

    @Test func roundTripsAndStoresNoPlaintext() async throws {
        let (barrier, physical) = try await openBarrier()
        try await barrier.put("logical/a", Array("top-secret-value".utf8))
        #expect(try await barrier.get("logical/a") == Array("top-secret-value".utf8))
        let stored = try #require(physical.allValues()["logical/a"])
        #expect(!String(decoding: stored, as: UTF8.self).contains("top-secret"))
    }

    @Test func tamperedCiphertextFailsToOpen() async throws {
        let (barrier, physical) = try await openBarrier()
        try await barrier.put("logical/a", Array("value".utf8))
        var blob = try #require(physical.allValues()["logical/a"])
        blob[blob.count - 20] ^= 0x01
        try await physical.put("logical/a", blob)
        await #expect(throws: TresorError.self) { try await barrier.get("logical/a") }
    }

    @Test func ciphertextMovedToAnotherKeyFailsToOpen() async throws {
        let (barrier, physical) = try await openBarrier()
        try await barrier.put("logical/a", Array("value".utf8))
        let blob = try #require(physical.allValues()["logical/a"])
        try await physical.put("logical/b", blob)
        await #expect(throws: TresorError.self) { try await barrier.get("logical/b") }
    }

    @Test func rotationKeepsOldTermsReadable() async throws {
        let physical = InMemoryBackend()
        let barrier = Barrier(physical: physical)
        let rootKey = SymmetricKey(size: .bits256)
        try await barrier.initialize(rootKey: rootKey)
        try await barrier.put("old", Array("one".utf8))
        let ring = try await barrier.rotate()
        #expect(ring.activeTerm == 2)
        try await barrier.put("new", Array("two".utf8))
        let newBlob = try #require(physical.allValues()["new"])
        #expect(Array(newBlob[0..<4]) == [0, 0, 0, 2])
        // A restart with the same root key still opens both terms.
        barrier.seal()
        try await barrier.unseal(rootKey: rootKey)
        #expect(try await barrier.get("old") == Array("one".utf8))
        #expect(try await barrier.get("new") == Array("two".utf8))
    }

    @Test func sealedBarrierRefusesAccess() async throws {
        let (barrier, _) = try await openBarrier()
        barrier.seal()
        await #expect(throws: TresorError.sealed) { try await barrier.get("x") }
        await #expect(throws: TresorError.sealed) { try await barrier.put("x", [1]) }
    }

    @Test func wrongRootKeyCannotUnseal() async throws {
        let (barrier, _) = try await openBarrier()
        barrier.seal()
        await #expect(throws: TresorError.self) { try await barrier.unseal(rootKey: SymmetricKey(size: .bits256)) }
        #expect(barrier.isSealed)
    }
}

/// The dev store is sharded; a batch must still land whole, and listing must see every shard.
@Suite struct InMemoryBackendTests {
    @Test func batchesAcrossShardsAndListingEveryShard() async throws {
        let store = InMemoryBackend(shardCount: 8)
        let keys = (0..<100).map { "app/item-\($0)" } + ["app/folder/x", "other/y"]
        try await store.commit(keys.map { .put(key: $0, value: Array($0.utf8)) })
        #expect(try await store.get("app/item-42") == Array("app/item-42".utf8))
        let children = try await store.list(prefix: "app/")
        #expect(children.count == 101 && children.contains("folder/") && children == children.sorted())
        try await store.commit([.delete(key: "app/item-1"), .put(key: "app/item-1", value: [1]), .delete(key: "other/y")])
        #expect(try await store.get("app/item-1") == [1])
        #expect(try await store.get("other/y") == nil)
        #expect(store.allValues().count == 101)
    }

    @Test func concurrentBatchesNeitherDeadlockNorLoseWrites() async throws {
        let store = InMemoryBackend(shardCount: 4)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for round in 0..<200 {
                        // Keys in several shards, in a different order for each writer.
                        let batch = (0..<5).map { StorageOperation.put(key: "k\((writer + $0 * 3 + round) % 17)", value: [UInt8(writer)]) }
                        try await store.commit(writer.isMultiple(of: 2) ? batch : batch.reversed())
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(store.allValues().count == 17)
    }
}

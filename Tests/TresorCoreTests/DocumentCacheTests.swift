import Crypto
import Testing
@_spi(Server) @testable import TresorCore

@Suite struct DocumentCacheTests {
    struct Doc: Codable, Sendable, Equatable { var name: String }
    struct OtherDoc: Codable, Sendable, Equatable { var name: String?; var extra: Int? }

    func openBarrier(cacheSize: Int = Barrier.defaultCacheSize) async throws -> (Barrier, InMemoryBackend) {
        let physical = InMemoryBackend()
        let barrier = Barrier(physical: physical, cacheSize: cacheSize)
        try await barrier.initialize(rootKey: SymmetricKey(size: .bits256))
        return (barrier, physical)
    }

    @Test func repeatedReadsAreServedFromTheCacheUntilAWrite() async throws {
        let (barrier, physical) = try await openBarrier()
        try await barrier.put("k", try JSONValue.encodeStored(Doc(name: "one")))
        #expect(try await barrier.document("k", as: Doc.self) == Doc(name: "one"))
        // Removed behind the barrier's back: the cached copy still answers, proving it is used.
        try await physical.delete("k")
        #expect(try await barrier.document("k", as: Doc.self) == Doc(name: "one"))
        // A write through the barrier replaces it at once.
        try await barrier.put("k", try JSONValue.encodeStored(Doc(name: "two")))
        #expect(try await barrier.document("k", as: Doc.self) == Doc(name: "two"))
        try await barrier.delete("k")
        #expect(try await barrier.document("k", as: Doc.self) == nil)
    }

    @Test func absenceIsCachedAndForgottenOnWrite() async throws {
        let (barrier, _) = try await openBarrier()
        #expect(try await barrier.get("missing") == nil)
        try await barrier.put("missing", [1, 2, 3])
        #expect(try await barrier.get("missing") == [1, 2, 3])
    }

    @Test func oneValueDecodesAsDifferentTypes() async throws {
        let (barrier, _) = try await openBarrier()
        try await barrier.put("k", try JSONValue.encodeStored(Doc(name: "x")))
        #expect(try await barrier.document("k", as: Doc.self) == Doc(name: "x"))
        #expect(try await barrier.document("k", as: OtherDoc.self) == OtherDoc(name: "x", extra: nil))
        #expect(try await barrier.document("k", as: Doc.self) == Doc(name: "x"))
        #expect(try await barrier.document("k", as: JSONValue.self) == .object(["name": .string("x")]))
        // The decoded form is kept, so the next read of the same type does not parse again.
        guard case .hit(let entry) = barrier.cache.lookup("k") else { Issue.record("not cached"); return }
        #expect(entry.decodedType == ObjectIdentifier(JSONValue.self))
    }

    @Test func aReadThatStartedBeforeAWriteCannotFillTheCache() {
        let cache = DocumentCache(capacity: 1024)
        guard case .miss(let epoch) = cache.lookup("k") else { Issue.record("expected a miss"); return }
        // A commit lands while the reader is still fetching the old value.
        cache.invalidate(["k"])
        cache.fill("k", DocumentCache.Entry(bytes: [0xAA]), epoch: epoch)
        guard case .miss(let fresh) = cache.lookup("k") else { Issue.record("stale value was cached"); return }
        cache.fill("k", DocumentCache.Entry(bytes: [0xBB]), epoch: fresh)
        guard case .hit(let entry) = cache.lookup("k") else { Issue.record("fill was refused"); return }
        #expect(entry.bytes == [0xBB])
    }

    @Test func sizeIsBounded() {
        let cache = DocumentCache(capacity: 128, shardCount: 16)
        for index in 0..<5000 {
            let key = "key/\(index)"
            if case .miss(let epoch) = cache.lookup(key) { cache.fill(key, DocumentCache.Entry(bytes: [1]), epoch: epoch) }
        }
        #expect(cache.count <= 128)
        #expect(cache.count > 64)
    }

    @Test func largeValuesAreNotKept() {
        let cache = DocumentCache(capacity: 128)
        guard case .miss(let epoch) = cache.lookup("big") else { return }
        cache.fill("big", DocumentCache.Entry(bytes: [UInt8](repeating: 0, count: DocumentCache.maxValueSize + 1)), epoch: epoch)
        #expect(cache.count == 0)
    }

    @Test func zeroSizeDisablesTheCache() async throws {
        let (barrier, physical) = try await openBarrier(cacheSize: 0)
        try await barrier.put("k", [1])
        #expect(try await barrier.get("k") == [1])
        try await physical.delete("k")
        #expect(try await barrier.get("k") == nil)
    }

    @Test func sealingEmptiesTheCache() async throws {
        let physical = InMemoryBackend()
        let barrier = Barrier(physical: physical)
        let rootKey = SymmetricKey(size: .bits256)
        try await barrier.initialize(rootKey: rootKey)
        try await barrier.put("k", [1])
        #expect(try await barrier.get("k") == [1])
        #expect(barrier.cache.count > 0)
        barrier.seal()
        #expect(barrier.cache.count == 0)
        try await barrier.unseal(rootKey: rootKey)
        #expect(try await barrier.get("k") == [1])
    }

    @Test func aTransactionSeesItsOwnWritesAndOthersSeeThemOnlyAfterCommit() async throws {
        let (barrier, _) = try await openBarrier()
        let locks = KeyLockTable()
        try await barrier.put("k", try JSONValue.encodeStored(Doc(name: "before")))
        #expect(try await barrier.document("k", as: Doc.self) == Doc(name: "before"))
        let transaction = RequestTransaction(barrier: barrier, locks: locks)
        try await transaction.putJSON("k", Doc(name: "after"))
        #expect(try await transaction.getJSON("k", as: Doc.self) == Doc(name: "after"))
        let other = RequestTransaction(barrier: barrier, locks: locks)
        #expect(try await other.getJSON("k", as: Doc.self) == Doc(name: "before"))
        try await transaction.commit()
        #expect(try await other.getJSON("k", as: Doc.self) == Doc(name: "after"))
    }
}

import Synchronization
import Testing
@_spi(Server) import TresorCore
@testable import TresorStorage

@Suite struct GroupCommitTests {
    /// A writer that records the groups it was given and holds the first one until told.
    final class Recorder: Sendable {
        let groups = Mutex<[[[StorageOperation]]]>([])
        let gate = Mutex<CheckedContinuation<Void, Never>?>(nil)

        func write(_ batches: [[StorageOperation]]) async -> [Result<Void, any Error>] {
            let isFirst = groups.withLock { $0.append(batches); return $0.count == 1 }
            if isFirst {
                await withCheckedContinuation { continuation in
                    gate.withLock { $0 = continuation }
                }
            }
            return batches.map { batch in
                batch.contains(.put(key: "poison", value: [])) ? .failure(StorageError("poisoned")) : .success(())
            }
        }
    }

    @Test func batchesThatArriveDuringAWriteGoTogetherAndFailAlone() async throws {
        let group = GroupCommit()
        let recorder = Recorder()
        let writer: GroupCommit.Writer = { await recorder.write($0) }
        let first = Task { try await group.commit([.put(key: "first", value: [1])], write: writer) }
        while recorder.gate.withLock({ $0 == nil }) { await Task.yield() }
        // The first group is being written; these queue behind it.
        var failed: [String] = []
        try await withThrowingTaskGroup(of: (String, Bool).self) { tasks in
            for i in 0..<10 {
                let key = i == 4 ? "poison" : "k\(i)"
                tasks.addTask {
                    do {
                        try await group.commit([.put(key: key, value: [])], write: writer)
                        return (key, true)
                    } catch {
                        return (key, false)
                    }
                }
            }
            // Wait until all ten are queued, then let the first write finish.
            while group.queued < 10 { await Task.yield() }
            recorder.gate.withLock { $0 }!.resume()
            for try await (key, landed) in tasks where !landed { failed.append(key) }
        }
        try await first.value
        let groups = recorder.groups.withLock { $0 }
        #expect(groups.count == 2)
        #expect(groups[1].count == 10)
        #expect(failed == ["poison"])
        #expect(group.counts == (batches: 11, groups: 2))
    }

    @Test func groupsStayWithinTheirLimits() async throws {
        let group = GroupCommit(maxOperations: 3)
        let recorder = Recorder()
        let writer: GroupCommit.Writer = { await recorder.write($0) }
        let first = Task { try await group.commit([.put(key: "first", value: [1])], write: writer) }
        while recorder.gate.withLock({ $0 == nil }) { await Task.yield() }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for i in 0..<7 {
                tasks.addTask { try await group.commit([.put(key: "k\(i)", value: []), .delete(key: "d\(i)")], write: writer) }
            }
            while group.queued < 7 { await Task.yield() }
            recorder.gate.withLock { $0 }!.resume()
            try await tasks.waitForAll()
        }
        try await first.value
        // Two operations a batch, at most three a group: one batch a group after the first.
        let sizes = recorder.groups.withLock { $0 }.dropFirst().map(\.count)
        #expect(sizes == [1, 1, 1, 1, 1, 1, 1])
    }

    @Test func wholeThenEachIsolatesTheFailingBatch() async throws {
        let attempts = Mutex<[[String]]>([])
        let results = await GroupCommit.wholeThenEach([[.put(key: "a", value: [])], [.put(key: "bad", value: [])], [.delete(key: "c")]]) { batches in
            let keys = batches.flatMap { $0.map(\.key) }
            attempts.withLock { $0.append(keys) }
            if keys.contains("bad") { throw StorageError("refused") }
        }
        #expect(results.map { if case .success = $0 { true } else { false } } == [true, false, true])
        #expect(attempts.withLock { $0 } == [["a", "bad", "c"], ["a"], ["bad"], ["c"]])
    }

    @Test func aFenceRefusalFailsTheWholeGroupWithoutRetries() async throws {
        let attempts = Atomic<Int>(0)
        let results = await GroupCommit.wholeThenEach([[.put(key: "a", value: [])], [.put(key: "b", value: [])]]) { _ in
            attempts.add(1, ordering: .relaxed)
            throw TresorError.fencedOut
        }
        #expect(attempts.load(ordering: .relaxed) == 1)
        #expect(results.allSatisfy { if case .failure(let error) = $0 { (error as? TresorError) == .fencedOut } else { false } })
    }

    @Test func foldingKeepsTheLastWordOnEachKeyInOrder() {
        let folded = FoldedBatches([
            [.put(key: "a", value: [1]), .put(key: "b", value: [1])],
            [.delete(key: "a"), .put(key: "c", value: [3])],
            [.put(key: "b", value: [2]), .delete(key: "d")],
        ])
        #expect(folded.puts.map(\.key) == ["b", "c"])
        #expect(folded.puts.map(\.value) == [[2], [3]])
        #expect(folded.deletes == ["a", "d"])
    }
}

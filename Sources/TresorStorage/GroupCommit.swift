import Synchronization
@_spi(Server) import TresorCore

/// Gathers the batches of concurrent commits so a store writes them in one transaction, with one
/// sync to disk, instead of one sync per request.
///
/// There is no timer: while one group is being written, the batches that arrive queue up, and the
/// next group is whatever waited. At low load a group holds one batch and costs one sync, as a
/// lone commit did; under load the sync cost is shared by everyone who queued behind it.
/// Each caller is answered only once the group that holds its batch is durable, with its own
/// batch's outcome: the writer reports a result per batch, so one failing batch fails alone.
final class GroupCommit: Sendable {
    /// Writes a group: one result per batch, in order. A batch that failed must have left no
    /// trace; if the whole group failed to commit, every batch carries that error.
    typealias Writer = @Sendable ([[StorageOperation]]) async -> [Result<Void, any Error>]

    private struct Waiting {
        let operations: [StorageOperation]
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var queue: [Waiting] = []
        var writing = false
    }

    private let state = Mutex(State())
    /// At most this many operations go into one group, so a group's transaction and the memory
    /// it holds stay bounded however many requests are waiting. A batch larger than this still
    /// goes through, alone.
    private let maxOperations: Int
    /// And at most this many bytes of keys and values (etcd refuses requests over 1.5 MiB).
    private let maxBytes: Int
    private let batchesWritten = Atomic<Int>(0)
    private let groupsWritten = Atomic<Int>(0)

    init(maxOperations: Int = 4096, maxBytes: Int = 16 << 20) {
        self.maxOperations = maxOperations
        self.maxBytes = maxBytes
    }

    /// Batches written so far and the groups they went in: their ratio is the mean group size.
    var counts: (batches: Int, groups: Int) {
        (batchesWritten.load(ordering: .relaxed), groupsWritten.load(ordering: .relaxed))
    }

    /// Batches waiting for the next group (for tests and metrics).
    var queued: Int { state.withLock { $0.queue.count } }

    /// Queues `operations` and returns once the group holding them is written. Whoever finds
    /// no group being written starts the writing with its `write`; a store passes the same
    /// function every time (it is not kept, so it may hold the store strongly).
    func commit(_ operations: [StorageOperation], write: @escaping Writer) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let startWriter = state.withLock { s -> Bool in
                s.queue.append(Waiting(operations: operations, continuation: continuation))
                if s.writing { return false }
                s.writing = true
                return true
            }
            if startWriter {
                Task { await self.drain(write) }
            }
        }
    }

    /// Writes groups until nobody is waiting; only one drain runs at a time.
    private func drain(_ write: Writer) async {
        while let group = nextGroup() {
            let results = await write(group.map(\.operations))
            batchesWritten.add(group.count, ordering: .relaxed)
            groupsWritten.add(1, ordering: .relaxed)
            for (index, waiting) in group.enumerated() {
                let result = index < results.count ? results[index] : .failure(StorageError("the storage writer lost a batch"))
                waiting.continuation.resume(with: result)
            }
        }
    }

    private func nextGroup() -> [Waiting]? {
        state.withLock { s -> [Waiting]? in
            if s.queue.isEmpty {
                s.writing = false
                return nil
            }
            var taken = 0
            var operations = 0
            var bytes = 0
            for waiting in s.queue {
                let size = waiting.operations.reduce(0) { total, op in
                    if case .put(let key, let value) = op { return total + key.utf8.count + value.count }
                    return total + op.key.utf8.count
                }
                if taken > 0 && (operations + waiting.operations.count > maxOperations || bytes + size > maxBytes) { break }
                taken += 1
                operations += waiting.operations.count
                bytes += size
            }
            let group = Array(s.queue.prefix(taken))
            s.queue.removeFirst(taken)
            return group
        }
    }

    /// For stores that write a group as one folded request (SQLite, PostgreSQL, etcd): the group as a
    /// whole first; should that fail, each batch alone, so a batch that cannot be written fails
    /// by itself. Repeating is safe: writing the batches again in order ends in the same state,
    /// even if the group did commit before its answer was lost. A refusal by the HA fence fails
    /// everyone at once.
    static func wholeThenEach(_ batches: [[StorageOperation]],
                              _ write: ([[StorageOperation]]) async throws -> Void) async -> [Result<Void, any Error>] {
        do {
            try await write(batches)
            return batches.map { _ in .success(()) }
        } catch let error as TresorError where error == .fencedOut {
            return batches.map { _ in .failure(TresorError.fencedOut) }
        } catch {
            if batches.count == 1 { return [.failure(error)] }
        }
        var results: [Result<Void, any Error>] = []
        for batch in batches {
            do {
                try await write([batch])
                results.append(.success(()))
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }
}

/// The batches of a group folded, in order, into the last word on each key: what one atomic
/// write must leave, with every key named once (etcd refuses a key twice in one txn, and so
/// does one PostgreSQL upsert).
struct FoldedBatches {
    var puts: [(key: String, value: [UInt8])] = []
    var deletes: [String] = []

    init(_ batches: [[StorageOperation]]) {
        var final: [String: [UInt8]?] = [:]
        var order: [String] = []
        for batch in batches {
            for op in batch {
                let value: [UInt8]?
                switch op {
                case .put(_, let bytes): value = bytes
                case .delete: value = nil
                }
                if final.updateValue(value, forKey: op.key) == nil { order.append(op.key) }
            }
        }
        for key in order {
            if let value = final[key]! {
                puts.append((key, value))
            } else {
                deletes.append(key)
            }
        }
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

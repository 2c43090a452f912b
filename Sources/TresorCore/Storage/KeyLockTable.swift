import Synchronization

/// Per-key async locks. Requests on different keys never wait for each other; the table is
/// sharded so that taking a lock does not pass through one global mutex either.
@_spi(Server) public final class KeyLockTable: Sendable {
    private struct Waiters {
        var queue: [CheckedContinuation<Void, Never>] = []
    }

    private final class Shard: Sendable {
        let table = Mutex<[StorageKey: Waiters]>([:])
    }

    private let shards: [Shard]

    public init(shardCount: Int = 32) {
        shards = (0..<shardCount).map { _ in Shard() }
    }

    private func shard(for key: String) -> Shard {
        var hasher = Hasher()
        hasher.combine(StorageKey(key))
        return shards[Int(UInt(bitPattern: hasher.finalize()) % UInt(shards.count))]
    }

    public func acquire(_ name: String) async {
        let shard = shard(for: name)
        let key = StorageKey(name)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = shard.table.withLock { table -> Bool in
                if table[key] == nil {
                    table[key] = Waiters()
                    return true
                }
                table[key]!.queue.append(continuation)
                return false
            }
            if acquired { continuation.resume() }
        }
    }

    /// Hands the lock to the next waiter, or frees it.
    public func release(_ name: String) {
        let key = StorageKey(name)
        let next = shard(for: name).table.withLock { table -> CheckedContinuation<Void, Never>? in
            guard var waiters = table[key] else { return nil }
            if waiters.queue.isEmpty {
                table.removeValue(forKey: key)
                return nil
            }
            let first = waiters.queue.removeFirst()
            table[key] = waiters
            return first
        }
        next?.resume()
    }
}

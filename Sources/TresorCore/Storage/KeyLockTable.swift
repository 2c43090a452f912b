import Synchronization

/// Per-key async locks. Requests on different keys never wait for each other; the table is
/// sharded so that taking a lock does not pass through one global mutex either.
@_spi(Server) public final class KeyLockTable: Sendable {
    private struct Waiters: Sendable {
        var queue: [CheckedContinuation<Void, Never>] = []
    }

    private let shards: Sharded<[StorageKey: Waiters]>

    public init(shardCount: Int = 32) {
        shards = Sharded(count: shardCount) { [:] }
    }

    public func acquire(_ name: String) async {
        let key = StorageKey(name)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = shards.withLock(name) { table -> Bool in
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
        let next = shards.withLock(name) { table -> CheckedContinuation<Void, Never>? in
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

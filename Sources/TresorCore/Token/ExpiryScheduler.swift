import Foundation
import Synchronization

/// One scheduler for every expiry: min-heaps of deadlines drained by a single task, so a
/// hundred thousand live tokens cost memory, not tasks. Sharded by key: every token creation
/// schedules here, and one heap and map would make them all wait whenever the map grows.
@_spi(Server) public final class ExpiryScheduler: Sendable {
    private struct Item {
        let deadline: Date
        let key: String
    }

    private struct State {
        var heap: [Item] = []
        /// The deadline each key currently has; heap items that disagree are stale and skipped.
        var current: [String: Date] = [:]
    }

    private final class Shard: Sendable {
        let state = Mutex(State())
    }

    private let shards: [Shard]

    public init(shardCount: Int = 16) {
        shards = (0..<max(1, shardCount)).map { _ in Shard() }
    }

    private func shard(for key: String) -> Shard {
        var hasher = Hasher()
        hasher.combine(key)
        return shards[Int(UInt(bitPattern: hasher.finalize()) % UInt(shards.count))]
    }

    public func schedule(_ key: String, at deadline: Date) {
        shard(for: key).state.withLock { s in
            s.current[key] = deadline
            s.heap.append(Item(deadline: deadline, key: key))
            Self.siftUp(&s.heap, s.heap.count - 1)
        }
    }

    public func cancel(_ key: String) {
        shard(for: key).state.withLock { _ = $0.current.removeValue(forKey: key) }
    }

    public var count: Int { shards.reduce(0) { total, shard in total + shard.state.withLock { $0.current.count } } }

    /// Removes and returns every key whose deadline has passed, earliest deadline first.
    public func due(at now: Date) -> [String] {
        var due: [Item] = []
        for shard in shards {
            Self.drain(shard, before: now, into: &due)
        }
        return due.sorted { $0.deadline < $1.deadline }.map(\.key)
    }

    private static func drain(_ shard: Shard, before now: Date, into result: inout [Item]) {
        shard.state.withLock { s in
            while let top = s.heap.first, top.deadline <= now {
                let last = s.heap.removeLast()
                if !s.heap.isEmpty {
                    s.heap[0] = last
                    Self.siftDown(&s.heap, 0)
                }
                if s.current[top.key] == top.deadline {
                    s.current.removeValue(forKey: top.key)
                    result.append(top)
                }
            }
        }
    }

    private static func siftUp(_ heap: inout [Item], _ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            if heap[child].deadline >= heap[parent].deadline { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private static func siftDown(_ heap: inout [Item], _ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count && heap[right].deadline < heap[smallest].deadline { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

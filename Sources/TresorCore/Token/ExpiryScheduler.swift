import Foundation
import HeapModule

/// One scheduler for every expiry: min-heaps of deadlines drained by a single task, so a
/// hundred thousand live tokens cost memory, not tasks. Sharded by key: every token creation
/// schedules here, and one heap and map would make them all wait whenever the map grows.
@_spi(Server) public final class ExpiryScheduler: Sendable {
    private struct Item: Comparable, Sendable {
        let deadline: Date
        let key: String

        static func < (a: Item, b: Item) -> Bool { a.deadline < b.deadline }
        static func == (a: Item, b: Item) -> Bool { a.deadline == b.deadline && a.key == b.key }
    }

    private struct State: Sendable {
        var heap = Heap<Item>()
        /// The deadline each key currently has; heap items that disagree are stale and skipped.
        var current: [String: Date] = [:]
    }

    private let shards: Sharded<State>

    public init(shardCount: Int = 16) {
        shards = Sharded(count: shardCount) { State() }
    }

    public func schedule(_ key: String, at deadline: Date) {
        shards.withLock(key) { s in
            s.current[key] = deadline
            s.heap.insert(Item(deadline: deadline, key: key))
        }
    }

    public func cancel(_ key: String) {
        shards.withLock(key) { _ = $0.current.removeValue(forKey: key) }
    }

    /// Forgets every deadline: a node that stops being active hands expiry to the new active,
    /// which schedules them again from storage.
    public func removeAll() {
        shards.forEach { $0 = State() }
    }

    public var count: Int {
        var total = 0
        shards.forEach { total += $0.current.count }
        return total
    }

    /// Removes and returns every key whose deadline has passed, earliest deadline first.
    public func due(at now: Date) -> [String] {
        var due: [Item] = []
        shards.forEach { s in
            while let top = s.heap.min, top.deadline <= now {
                s.heap.removeMin()
                if s.current[top.key] == top.deadline {
                    s.current.removeValue(forKey: top.key)
                    due.append(top)
                }
            }
        }
        return due.sorted().map(\.key)
    }
}

import Foundation
import HeapModule
import Synchronization

/// The coming window of the expiry index, in memory: min-heaps of deadlines drained by one
/// task, refilled from storage as time moves. A million live leases cost the storage index, not
/// memory or unseal time: only deadlines up to `horizon` are held, at most `capacity` of them
/// read in at once (those scheduled by requests inside the window join as they commit).
/// Sharded by key: every token creation lands here, and one lock would make them all wait.
@_spi(Server) public final class ExpiryWindow: Sendable {
    private struct Item: Comparable, Sendable {
        let due: Date
        let entry: ExpiryDeadline

        static func < (a: Item, b: Item) -> Bool { a.due < b.due }
        static func == (a: Item, b: Item) -> Bool { a.due == b.due && a.entry == b.entry }
    }

    private struct Shard: Sendable {
        var heap = Heap<Item>()
        /// When each index entry is next due; heap items that disagree are stale and skipped.
        var current: [String: Date] = [:]
    }

    private struct Scan: Sendable {
        /// Every index entry up to this time is in memory (or was handed out as due).
        var horizon: Int64 = 0
        /// The last index name read, where the next refill goes on.
        var lastName: String?
        /// The refill stopped at `capacity`: more due entries wait in storage.
        var capped = false
        /// Counts resets, so a refill that a seal overtook does not claim what it read.
        var generation = 0
    }

    /// How far ahead the window reaches.
    public let window: TimeInterval
    /// At most this many deadlines are read in by one refill.
    public let capacity: Int
    private let shards: Sharded<Shard>
    private let scan = Mutex(Scan())
    /// What requests compare their deadlines with: the horizon, or the one a refill under way
    /// is reaching for, so that nothing committed during a refill is missed by both.
    private let reach = Atomic<Int64>(0)

    public init(window: TimeInterval = 120, capacity: Int = 50_000, shardCount: Int = 16) {
        self.window = window
        self.capacity = capacity
        shards = Sharded(count: shardCount) { Shard() }
    }

    /// After a commit that wrote `entry` to the index: held now if it falls inside the window,
    /// else a later refill reads it.
    public func scheduled(_ entry: ExpiryDeadline) {
        guard entry.millis <= reach.load(ordering: .acquiring) else { return }
        insert(entry, due: entry.deadline)
    }

    /// Holds `entry` again, due at `date` (a failed revocation's retry; its index entry stays).
    public func retry(_ entry: ExpiryDeadline, at date: Date) {
        insert(entry, due: date)
    }

    /// After a commit that removed `entry` from the index.
    public func cancel(_ entry: ExpiryDeadline) {
        let key = entry.name
        shards.withLock(key) { _ = $0.current.removeValue(forKey: key) }
    }

    private func insert(_ entry: ExpiryDeadline, due: Date) {
        let key = entry.name
        shards.withLock(key) { s in
            s.current[key] = due
            s.heap.insert(Item(due: due, entry: entry))
        }
    }

    /// Forgets everything: a node that seals or stops being active leaves expiry to storage.
    public func reset() {
        scan.withLock { $0 = Scan(generation: $0.generation + 1) }
        shards.forEach { $0 = Shard() }
        reach.store(0, ordering: .releasing)
    }

    /// Deadlines held in memory.
    public var count: Int {
        var total = 0
        shards.forEach { total += $0.current.count }
        return total
    }

    /// Removes and returns at most `limit` entries whose time has come, earliest first.
    public func due(at now: Date, limit: Int = .max) -> [ExpiryDeadline] {
        var due: [Item] = []
        shards.forEach { s in
            while let top = s.heap.min, top.due <= now {
                s.heap.removeMin()
                if s.current[top.entry.name] == top.due { due.append(top) }
            }
        }
        due.sort()
        if due.count > limit {
            // Those past the limit stay held for the next turn.
            for item in due[limit...] { insert(item.entry, due: item.due) }
            due.removeLast(due.count - limit)
        }
        for item in due {
            let key = item.entry.name
            shards.withLock(key) { s in
                if s.current[key] == item.due { s.current.removeValue(forKey: key) }
            }
        }
        return due.map(\.entry)
    }

    /// Reads the index from where the last refill stopped up to `now + window`, at most
    /// `capacity` entries; does nothing while the window still reaches far enough ahead.
    /// `page` lists index names after a name (sorted), as storage does.
    public func refill(now: Date, page: (_ after: String?, _ limit: Int) async throws -> [String]) async throws {
        let target = ExpiryIndex.millis(now.addingTimeInterval(window))
        let state = scan.withLock { $0 }
        let halfWindow = Int64(window * 500)
        guard state.capped || state.horizon < target - halfWindow else { return }
        if count >= capacity { return }
        reach.store(max(state.horizon, target), ordering: .releasing)
        var after = state.lastName
        var loaded = 0
        var capped = false
        var horizon = target
        scanning: while true {
            let names = try await page(after, 1000)
            for name in names {
                guard let entry = ExpiryIndex.parse(name) else { after = name; continue }
                if entry.millis > target { break scanning }
                if loaded >= capacity {
                    capped = true
                    break scanning
                }
                let key = entry.name
                let known = shards.withLock(key) { $0.current[key] != nil }
                if !known { insert(entry, due: entry.deadline) }
                loaded += 1
                after = name
                horizon = entry.millis
            }
            if names.count < 1000 { break }
        }
        if !capped { horizon = target }
        let reached = horizon
        let last = after
        let current = scan.withLock { scan in
            guard scan.generation == state.generation else { return false }
            scan = Scan(horizon: reached, lastName: last, capped: capped, generation: state.generation)
            return true
        }
        if current { reach.store(reached, ordering: .releasing) }
    }
}

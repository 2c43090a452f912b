import Synchronization

/// Dev-mode storage. Still sits below the barrier: dev mode runs the same code path as
/// production, only with a store that forgets on exit.
///
/// Sharded by key, so requests on different keys rarely meet on one lock, and a dictionary that
/// grows rehashes a sixty-fourth of the store at a time. With one dictionary, each doubling past
/// a few hundred thousand keys held every request for tens of milliseconds (the token-create
/// benchmark's p99).
///
/// Listing uses a folder index (each folder's children, with the number of keys below each), so
/// a list costs its answer, not the store: scanning every key held the shard locks for tens of
/// milliseconds once hundreds of thousands of tokens existed, every time the periodic sweep listed.
public final class InMemoryBackend: PhysicalBackend {
    private let shards: Sharded<[StorageKey: [UInt8]]>
    /// folder ("" or ending in "/") → child name → keys at or below that child. Counts move by
    /// ±1 as keys appear and vanish; the changes commute, so each folder needs only its own lock.
    private let folders: Sharded<[StorageKey: [StorageKey: Int]]>

    public init(shardCount: Int = 64) {
        shards = Sharded(count: shardCount) { [:] }
        folders = Sharded(count: shardCount) { [:] }
    }

    public func get(_ key: String) async throws -> [UInt8]? {
        shards.withLock(key) { $0[StorageKey(key)] }
    }

    public func list(prefix: String) async throws -> [String] {
        if prefix.isEmpty || prefix.utf8.last == UInt8(ascii: "/") {
            let children = folders.withLock(prefix) { map in
                // A count below one is a delete whose put has not been counted yet.
                map[StorageKey(prefix)].map { Array($0.filter { $0.value > 0 }.keys) } ?? []
            }
            return children.map(\.string).sorted()
        }
        // A prefix that ends inside a name: rare, so a scan.
        var children = Set<StorageKey>()
        shards.forEach { map in
            for key in map.keys where StorageKey.isBelow(key.string, prefix) {
                children.insert(StorageKey(childName(of: key.string, under: prefix)))
            }
        }
        return children.map(\.string).sorted()
    }

    /// All or nothing for readers: every shard the batch touches is locked, in ascending order
    /// (so two batches cannot deadlock), until the whole batch is applied.
    public func commit(_ operations: [StorageOperation]) async throws {
        var changes: [(String, Int)] = []
        if operations.count == 1 {
            if let change = shards.withLock(operations[0].key, { Self.apply(operations[0], to: &$0) }) { changes.append(change) }
        } else {
            var byShard: [Int: [StorageOperation]] = [:]
            for operation in operations {
                byShard[shards.index(of: operation.key), default: []].append(operation)
            }
            applyLocked(byShard.keys.sorted()[...], byShard, &changes)
        }
        // Before commit returns, so a list after a write sees it.
        for (key, delta) in changes { index(key, delta) }
    }

    private func applyLocked(_ remaining: ArraySlice<Int>, _ byShard: [Int: [StorageOperation]], _ changes: inout [(String, Int)]) {
        guard let index = remaining.first else { return }
        let applied = shards.withLock(shard: index) { map -> [(String, Int)] in
            byShard[index]!.compactMap { Self.apply($0, to: &map) }
        }
        changes += applied
        applyLocked(remaining.dropFirst(), byShard, &changes)
    }

    /// Applies one operation; returns the key and +1 or -1 when the key came or went.
    private static func apply(_ operation: StorageOperation, to map: inout [StorageKey: [UInt8]]) -> (String, Int)? {
        switch operation {
        case .put(let key, let value):
            return map.updateValue(value, forKey: StorageKey(key)) == nil ? (key, 1) : nil
        case .delete(let key):
            return map.removeValue(forKey: StorageKey(key)) == nil ? nil : (key, -1)
        }
    }

    /// Moves the counts of every folder on the way to `key`.
    private func index(_ key: String, _ delta: Int) {
        let bytes = key.utf8
        var folderEnd = bytes.startIndex
        var cursor = bytes.startIndex
        while cursor < bytes.endIndex {
            if bytes[cursor] == UInt8(ascii: "/") {
                let next = bytes.index(after: cursor)
                adjust(folder: String(key[..<folderEnd]), child: String(key[folderEnd..<next]), delta)
                folderEnd = next
            }
            cursor = bytes.index(after: cursor)
        }
        if folderEnd < bytes.endIndex {
            adjust(folder: String(key[..<folderEnd]), child: String(key[folderEnd...]), delta)
        }
    }

    private func adjust(folder: String, child: String, _ delta: Int) {
        folders.withLock(folder) { map in
            let folderKey = StorageKey(folder), childKey = StorageKey(child)
            let count = map[folderKey, default: [:]][childKey, default: 0] + delta
            if count == 0 {
                map[folderKey]?.removeValue(forKey: childKey)
                if map[folderKey]?.isEmpty == true { map.removeValue(forKey: folderKey) }
            } else {
                map[folderKey, default: [:]][childKey] = count
            }
        }
    }

    /// Every stored blob, for tests that prove nothing is kept in plaintext.
    public func allValues() -> [String: [UInt8]] {
        var all: [String: [UInt8]] = [:]
        shards.forEach { map in
            for (key, value) in map { all[key.string] = value }
        }
        return all
    }
}

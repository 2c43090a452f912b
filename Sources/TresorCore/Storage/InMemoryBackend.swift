import Synchronization

/// Dev-mode storage. Still sits below the barrier: dev mode runs the same code path as
/// production, only with a store that forgets on exit.
///
/// Sharded by key, so requests on different keys rarely meet on one lock, and a dictionary that
/// grows rehashes a sixty-fourth of the store at a time. With one dictionary, each doubling past
/// a few hundred thousand keys held every request for tens of milliseconds (the token-create
/// benchmark's p99).
public final class InMemoryBackend: PhysicalBackend {
    private let shards: Sharded<[StorageKey: [UInt8]]>

    public init(shardCount: Int = 64) {
        shards = Sharded(count: shardCount) { [:] }
    }

    public func get(_ key: String) async throws -> [UInt8]? {
        shards.withLock(key) { $0[StorageKey(key)] }
    }

    public func list(prefix: String) async throws -> [String] {
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
        if operations.count == 1 {
            shards.withLock(operations[0].key) { Self.apply(operations[0], to: &$0) }
            return
        }
        var byShard: [Int: [StorageOperation]] = [:]
        for operation in operations {
            byShard[shards.index(of: operation.key), default: []].append(operation)
        }
        applyLocked(byShard.keys.sorted()[...], byShard)
    }

    private func applyLocked(_ remaining: ArraySlice<Int>, _ byShard: [Int: [StorageOperation]]) {
        guard let index = remaining.first else { return }
        shards.withLock(shard: index) { map in
            for operation in byShard[index]! { Self.apply(operation, to: &map) }
            applyLocked(remaining.dropFirst(), byShard)
        }
    }

    private static func apply(_ operation: StorageOperation, to map: inout [StorageKey: [UInt8]]) {
        switch operation {
        case .put(let key, let value): map[StorageKey(key)] = value
        case .delete(let key): map.removeValue(forKey: StorageKey(key))
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

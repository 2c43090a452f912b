import Synchronization

/// A bounded cache of decrypted values (and their decoded form) in front of physical storage, so
/// a hot key — a token entry, a secret's metadata — is neither fetched, decrypted nor parsed
/// again on every request.
///
/// Sharded so concurrent requests rarely meet on one lock. Correctness rests on two rules:
/// writers invalidate after their commit is durable, and a reader only fills the cache if no
/// write touched the shard since it started reading (the shard's epoch is unchanged), so a value
/// read before a commit can never be cached after it.
final class DocumentCache: Sendable {
    /// A stored value, or its absence, plus the last decoded form asked for.
    struct Entry {
        var bytes: [UInt8]?
        var decoded: (any Sendable)?
        var decodedType: ObjectIdentifier?
    }

    private struct Shard: Sendable {
        var entries: [StorageKey: Entry] = [:]
        var epoch: UInt64 = 0
    }

    /// What a lookup found: the entry, or the epoch a fill must still match.
    enum Lookup {
        case hit(Entry)
        case miss(epoch: UInt64)
    }

    /// Values above this size are not worth the memory they would pin.
    static let maxValueSize = 64 * 1024
    private let shards: Sharded<Shard>
    private let perShard: Int

    /// `capacity` entries in all; 0 disables the cache.
    init(capacity: Int, shardCount: Int = 64) {
        shards = Sharded(count: shardCount) { Shard() }
        perShard = capacity <= 0 ? 0 : max(1, capacity / shards.count)
    }

    var isEnabled: Bool { perShard > 0 }

    func lookup(_ key: String) -> Lookup {
        shards.withLock(key) { shard in
            if let entry = shard.entries[StorageKey(key)] { return .hit(entry) }
            return .miss(epoch: shard.epoch)
        }
    }

    /// Remembers what storage held for `key`, unless a write reached the shard since `epoch`.
    func fill(_ key: String, _ entry: Entry, epoch: UInt64) {
        guard isEnabled, (entry.bytes?.count ?? 0) <= Self.maxValueSize else { return }
        shards.withLock(key) { shard in
            guard shard.epoch == epoch else { return }
            let key = StorageKey(key)
            if shard.entries[key] == nil, shard.entries.count >= perShard {
                // Random eviction: cheap, and no worse than LRU for a hot set that fits.
                shard.entries.remove(at: shard.entries.indices.randomElement()!)
            }
            shard.entries[key] = entry
        }
    }

    /// Attaches a decoded form to the entry a lookup returned, if it is still the same entry.
    func attach<T: Sendable>(_ key: String, decoded: T, to entry: Entry) {
        shards.withLock(key) { shard in
            let key = StorageKey(key)
            guard var current = shard.entries[key], current.bytes == entry.bytes else { return }
            current.decoded = decoded
            current.decodedType = ObjectIdentifier(T.self)
            shard.entries[key] = current
        }
    }

    /// Forgets `keys`; called once their new values are durable.
    func invalidate(_ keys: some Sequence<String>) {
        guard isEnabled else { return }
        for key in keys {
            shards.withLock(key) { shard in
                shard.epoch &+= 1
                shard.entries[StorageKey(key)] = nil
            }
        }
    }

    func removeAll() {
        shards.forEach { shard in
            shard.epoch &+= 1
            shard.entries.removeAll()
        }
    }

    var count: Int {
        var total = 0
        shards.forEach { total += $0.entries.count }
        return total
    }
}

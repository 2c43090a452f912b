import Synchronization

/// State split into shards by key, each behind a lock of its own: requests on different keys
/// rarely wait for each other, and a map that grows rehashes a fraction of itself at a time.
/// Keys pick their shard by their bytes, as every storage-key map compares them (`StorageKey`).
@_spi(Server) public final class Sharded<State: Sendable>: Sendable {
    private final class Shard: Sendable {
        let state: Mutex<State>
        init(_ state: sending State) { self.state = Mutex(state) }
    }

    private let shards: [Shard]

    public init(count: Int, _ make: () -> State) {
        shards = (0..<max(1, count)).map { _ in Shard(make()) }
    }

    public var count: Int { shards.count }

    /// The shard `key` lives in.
    public func index(of key: String) -> Int {
        var hasher = Hasher()
        hasher.combine(StorageKey(key))
        return Int(UInt(bitPattern: hasher.finalize()) % UInt(shards.count))
    }

    public func withLock<Result: Sendable>(_ key: String, _ body: (inout State) throws -> Result) rethrows -> Result {
        try withLock(shard: index(of: key), body)
    }

    public func withLock<Result: Sendable>(shard: Int, _ body: (inout State) throws -> Result) rethrows -> Result {
        try shards[shard].state.withLock { state in try body(&state) }
    }

    /// Visits every shard in order, one lock at a time.
    public func forEach(_ body: (inout State) -> Void) {
        for shard in shards { shard.state.withLock { body(&$0) } }
    }
}

/// Storage straight through the barrier, outside any request: for start-up and for the token
/// lookups that precede a request's own transaction. Each write commits at once.
@_spi(Server) public struct DirectStorage: Storage {
    let barrier: Barrier
    let locks: KeyLockTable

    public init(barrier: Barrier, locks: KeyLockTable) {
        self.barrier = barrier
        self.locks = locks
    }

    public func get(_ key: String) async throws -> [UInt8]? { try await barrier.get(key) }
    public func document<T: Decodable & Sendable>(_ key: String, as type: T.Type) async throws -> T? {
        try await barrier.document(key, as: type)
    }
    public func put(_ key: String, _ value: [UInt8]) async throws { try await barrier.put(key, value) }
    public func delete(_ key: String) async throws { try await barrier.delete(key) }
    public func list(_ prefix: String) async throws -> [String] { try await barrier.list(prefix: prefix) }
    public func list(_ prefix: String, after: String?, limit: Int?) async throws -> [String] {
        try await barrier.list(prefix: prefix, after: after, limit: limit)
    }
    /// Outside a request there is nothing to hold a lock until; callers use the table directly.
    public func lock(_ key: String) async {}
    public func afterCommit(_ action: @escaping @Sendable () -> Void) { action() }
    public func afterDiscard(_ action: @escaping @Sendable () -> Void) {}
}

/// What a backend sees of storage: its own keys, as plaintext, inside the current request's
/// transaction. Writes become visible to others only when the request commits.
public protocol Storage: Sendable {
    func get(_ key: String) async throws -> [UInt8]?
    /// The JSON document at `key`, decoded; implementations may serve it from a cache.
    func document<T: Decodable & Sendable>(_ key: String, as type: T.Type) async throws -> T?
    func put(_ key: String, _ value: [UInt8]) async throws
    func delete(_ key: String) async throws
    /// Direct children of `prefix` (folders end in "/"), sorted.
    func list(_ prefix: String) async throws -> [String]
    /// A page of that listing: the children after `after`, at most `limit` (nil or < 1: all).
    /// Stores that can seek read only the page.
    func list(_ prefix: String, after: String?, limit: Int?) async throws -> [String]
    /// Holds `key` against other requests until this request commits or fails, for
    /// read-modify-write sequences.
    func lock(_ key: String) async
    /// Runs `action` once the writes are durable (at once where nothing is buffered).
    func afterCommit(_ action: @escaping @Sendable () -> Void)
    /// Runs `action` if the writes are thrown away instead (never where nothing is buffered).
    func afterDiscard(_ action: @escaping @Sendable () -> Void)
}

extension Storage {
    public func list(_ prefix: String, after: String?, limit: Int?) async throws -> [String] {
        ChildScan.page(try await list(prefix), after: after, limit: limit)
    }

    public func document<T: Decodable & Sendable>(_ key: String, as type: T.Type) async throws -> T? {
        guard let bytes = try await get(key) else { return nil }
        return try JSONValue.decodeStored(T.self, from: bytes)
    }

    public func getJSON<T: Decodable & Sendable>(_ key: String, as type: T.Type) async throws -> T? {
        try await document(key, as: type)
    }

    public func putJSON<T: Encodable>(_ key: String, _ value: T) async throws {
        try await put(key, try JSONValue.encodeStored(value))
    }

    /// Every leaf key under `prefix`, walking folders.
    public func listRecursive(_ prefix: String) async throws -> [String] {
        var result: [String] = []
        var pending = [""]
        while let folder = pending.popLast() {
            for child in try await list(prefix + folder) {
                if child.hasSuffix("/") { pending.append(folder + child) } else { result.append(folder + child) }
            }
        }
        return result.sorted()
    }
}

/// A backend's window onto storage: every key gets the mount's prefix, so no engine can reach
/// another's data.
public struct StorageView: Storage {
    public let prefix: String
    /// What the view writes through. Only the core makes views; an engine can narrow its own
    /// (`sub`) but never widen it or build one over another prefix.
    let base: Storage

    init(_ base: Storage, prefix: String) {
        self.base = base
        self.prefix = prefix
    }

    public func get(_ key: String) async throws -> [UInt8]? { try await base.get(prefix + key) }
    public func document<T: Decodable & Sendable>(_ key: String, as type: T.Type) async throws -> T? {
        try await base.document(prefix + key, as: type)
    }
    public func put(_ key: String, _ value: [UInt8]) async throws { try await base.put(prefix + key, value) }
    public func delete(_ key: String) async throws { try await base.delete(prefix + key) }
    public func list(_ prefix: String) async throws -> [String] { try await base.list(self.prefix + prefix) }
    public func list(_ prefix: String, after: String?, limit: Int?) async throws -> [String] {
        try await base.list(self.prefix + prefix, after: after, limit: limit)
    }
    public func lock(_ key: String) async { await base.lock(prefix + key) }
    public func afterCommit(_ action: @escaping @Sendable () -> Void) { base.afterCommit(action) }
    public func afterDiscard(_ action: @escaping @Sendable () -> Void) { base.afterDiscard(action) }

    public func sub(_ more: String) -> StorageView { StorageView(base, prefix: prefix + more) }
}

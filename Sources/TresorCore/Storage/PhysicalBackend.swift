/// One change in a batch that a physical backend applies atomically.
public enum StorageOperation: Sendable, Equatable {
    case put(key: String, value: [UInt8])
    case delete(key: String)

    public var key: String {
        switch self {
        case .put(let key, _), .delete(let key): return key
        }
    }
}

/// Bytes by key. Everything above this layer is encrypted before it gets here; a backend only
/// stores opaque blobs and must apply a batch all-or-nothing.
public protocol PhysicalBackend: Sendable {
    func get(_ key: String) async throws -> [UInt8]?
    /// The direct children of `prefix`: plain names for leaves, names ending in "/" for folders.
    func list(prefix: String) async throws -> [String]
    /// A page of the children of `prefix`: those after `after`, at most `limit` (nil: all).
    func list(prefix: String, after: String?, limit: Int?) async throws -> [String]
    /// How many keys start with `prefix`, at any depth.
    func count(prefix: String) async throws -> Int
    func commit(_ operations: [StorageOperation]) async throws
}

extension PhysicalBackend {
    /// For stores that cannot seek: the whole listing, then the page of it.
    public func list(prefix: String, after: String?, limit: Int?) async throws -> [String] {
        ChildScan.page(try await list(prefix: prefix), after: after, limit: limit)
    }

    /// For stores that cannot count a range: walks the folders.
    public func count(prefix: String) async throws -> Int {
        var total = 0
        var folders = [prefix]
        while let folder = folders.popLast() {
            for child in try await list(prefix: folder) {
                if child.hasSuffix("/") { folders.append(folder + child) } else { total += 1 }
            }
        }
        return total
    }

    public func put(_ key: String, _ value: [UInt8]) async throws {
        try await commit([.put(key: key, value: value)])
    }
    public func delete(_ key: String) async throws {
        try await commit([.delete(key: key)])
    }
}

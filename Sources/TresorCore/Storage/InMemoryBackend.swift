import Synchronization

/// Dev-mode storage. Still sits below the barrier: dev mode runs the same code path as
/// production, only with a store that forgets on exit.
public final class InMemoryBackend: PhysicalBackend {
    private let entries = Mutex<[String: [UInt8]]>([:])

    public init() {}

    public func get(_ key: String) async throws -> [UInt8]? {
        entries.withLock { $0[key] }
    }

    public func list(prefix: String) async throws -> [String] {
        let keys = entries.withLock { Array($0.keys) }
        var children = Set<String>()
        for key in keys where key.hasPrefix(prefix) && key.count > prefix.count {
            children.insert(childName(of: key, under: prefix))
        }
        return children.sorted()
    }

    public func commit(_ operations: [StorageOperation]) async throws {
        entries.withLock { map in
            for op in operations {
                switch op {
                case .put(let key, let value): map[key] = value
                case .delete(let key): map.removeValue(forKey: key)
                }
            }
        }
    }

    /// Every stored blob, for tests that prove nothing is kept in plaintext.
    public func allValues() -> [String: [UInt8]] {
        entries.withLock { $0 }
    }
}

import Synchronization

/// What a request needs of its token's entity, kept in memory: the entity's and its groups'
/// policy names and the values policy templates read. Any committed identity write drops it all
/// (identity writes are rare; requests of login tokens are not), and a load that straddles a
/// write is not kept, so a stale view is never cached.
final class IdentityCache: Sendable {
    struct View: Sendable {
        var disabled: Bool
        var policies: [String]
        var context: IdentityTemplateContext
    }

    private let state = Mutex<(generation: UInt64, views: [String: View])>((0, [:]))

    func view(_ entityID: String, load: () async throws -> View?) async throws -> View? {
        let (generation, cached) = state.withLock { ($0.generation, $0.views[entityID]) }
        if let cached { return cached }
        guard let loaded = try await load() else { return nil }
        state.withLock { current in
            guard current.generation == generation else { return }
            if current.views.count > 100_000 { current.views.removeAll() }
            current.views[entityID] = loaded
        }
        return loaded
    }

    /// Called after an identity write commits.
    func invalidate() {
        state.withLock { current in
            current.generation &+= 1
            current.views.removeAll()
        }
    }
}

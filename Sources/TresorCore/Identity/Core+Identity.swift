import Foundation

/// Where logins meet the identity store: each login maps to its method's alias, and through it
/// to an entity (made on first login); a token's entity and its groups add their policies to the
/// token's at every request, so a group change takes effect without a new login.
extension Core {
    /// The entity for a login through `mount` as `alias`, made with its alias the first time.
    func entityForLogin(alias name: String, mount: MountEntry, storage: Storage) async throws -> String {
        let store = IdentityStore(storage: storage, changed: { [weak self] in self?.identityCache.invalidate() })
        func existing() async throws -> String? {
            guard let alias = try await store.alias(accessor: mount.accessor, name: name),
                  let entity = try await store.entity(id: alias.canonicalID) else { return nil }
            guard !entity.disabled else { throw TresorError.permissionDenied }
            return entity.id
        }
        if let id = try await existing() { return id }
        // First logins of one name at once: the first makes the entity, the others wait for its
        // commit on the alias's lock and then find it, instead of failing on a duplicate alias.
        await storage.lock(IdentityStore.aliasKey(mount.accessor, name))
        if let id = try await existing() { return id }
        let now = clock()
        let id = RandomUUID.string()
        try await store.save(Entity(id: id, name: "entity_" + String(id.prefix(8)), creationTime: now, lastUpdateTime: now))
        try await store.save(EntityAlias(id: RandomUUID.string(), canonicalID: id, mountAccessor: mount.accessor, name: name,
                                         creationTime: now, lastUpdateTime: now))
        return id
    }

    /// What the entity adds to a request: its and its groups' policies, and its template values.
    /// Read from `storage` (a login's own transaction) or, for requests, from the cache.
    func identityView(entityID: String, storage: Storage? = nil) async throws -> IdentityCache.View? {
        let load = { [self] () async throws -> IdentityCache.View? in
            let store = IdentityStore(storage: storage ?? direct)
            guard let entity = try await store.entity(id: entityID) else { return nil }
            var policies = Set(entity.policies)
            var aliases: [String: (id: String, name: String, metadata: [String: String])] = [:]
            for alias in try await store.aliases(of: entityID) { aliases[alias.mountAccessor] = (alias.id, alias.name, alias.customMetadata) }
            var groups: [String: (name: String, metadata: [String: String])] = [:]
            let (directGroups, inherited) = try await store.groupIDs(ofEntity: entityID)
            for id in directGroups + inherited {
                guard let group = try await store.group(id: id) else { continue }
                policies.formUnion(group.policies)
                groups[id] = (group.name, group.metadata)
            }
            let context = IdentityTemplateContext(entityID: entity.id, entityName: entity.name, entityMetadata: entity.metadata,
                                                  aliases: aliases, groupsByID: groups)
            return IdentityCache.View(disabled: entity.disabled, policies: policies.sorted(), context: context)
        }
        if storage != nil { return try await load() }
        return try await identityCache.view(entityID, load: load)
    }

    /// The policies a token holds now: its own, its entity's and those of the entity's groups
    /// (direct and inherited). A disabled entity's tokens hold nothing.
    func effectivePolicies(_ token: TokenEntry, storage: Storage? = nil) async throws -> [String] {
        guard let entityID = token.entityID, !token.isRoot else { return token.policies }
        guard let view = try await identityView(entityID: entityID, storage: storage) else { return token.policies }
        guard !view.disabled else { throw TresorError.permissionDenied }
        return Array(Set(token.policies).union(view.policies)).sorted()
    }

    /// The ACL a token holds now, its templated policy paths filled from its entity.
    func acl(for token: TokenEntry) async throws -> ACL {
        guard let entityID = token.entityID, !token.isRoot, let view = try await identityView(entityID: entityID) else {
            return try await policies.acl(for: token.policies, storage: direct)
        }
        guard !view.disabled else { throw TresorError.permissionDenied }
        let names = Array(Set(token.policies).union(view.policies)).sorted()
        return try await policies.acl(for: names, storage: direct) { view.context }
    }
}

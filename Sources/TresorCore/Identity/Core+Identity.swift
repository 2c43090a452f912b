import Foundation

/// Where logins meet the identity store: each login maps to its method's alias, and through it
/// to an entity (made on first login); a token's entity and its groups add their policies to the
/// token's at every request, so a group change takes effect without a new login.
extension Core {
    /// The entity for a login through `mount` as `alias`, made with its alias the first time.
    func entityForLogin(alias name: String, mount: MountEntry, storage: Storage) async throws -> String {
        let store = IdentityStore(storage: storage)
        if let alias = try await store.alias(accessor: mount.accessor, name: name), let entity = try await store.entity(id: alias.canonicalID) {
            guard !entity.disabled else { throw TresorError.permissionDenied }
            return entity.id
        }
        let now = clock()
        let id = RandomUUID.string()
        try await store.save(Entity(id: id, name: "entity_" + String(id.prefix(8)), creationTime: now, lastUpdateTime: now))
        try await store.save(EntityAlias(id: RandomUUID.string(), canonicalID: id, mountAccessor: mount.accessor, name: name,
                                         creationTime: now, lastUpdateTime: now))
        return id
    }

    /// The ACL a token holds now, its templated policy paths filled from its entity.
    func acl(for token: TokenEntry) async throws -> ACL {
        let names = try await effectivePolicies(token)
        guard let entityID = token.entityID else { return try await policies.acl(for: names, storage: direct) }
        return try await policies.acl(for: names, storage: direct) { [self] in try await self.templateContext(entityID: entityID) }
    }

    func templateContext(entityID: String) async throws -> IdentityTemplateContext? {
        let store = IdentityStore(storage: direct)
        guard let entity = try await store.entity(id: entityID) else { return nil }
        var aliases: [String: (id: String, name: String, metadata: [String: String])] = [:]
        for alias in try await store.aliases(of: entityID) { aliases[alias.mountAccessor] = (alias.id, alias.name, alias.customMetadata) }
        var groups: [String: (name: String, metadata: [String: String])] = [:]
        let (directGroups, inherited) = try await store.groupIDs(ofEntity: entityID)
        for id in directGroups + inherited {
            if let group = try await store.group(id: id) { groups[id] = (group.name, group.metadata) }
        }
        return IdentityTemplateContext(entityID: entity.id, entityName: entity.name, entityMetadata: entity.metadata,
                                       aliases: aliases, groupsByID: groups)
    }

    /// The policies a token holds now: its own, its entity's and those of the entity's groups
    /// (direct and inherited). A disabled entity's tokens hold nothing.
    func effectivePolicies(_ token: TokenEntry, storage: Storage? = nil) async throws -> [String] {
        guard let entityID = token.entityID, !token.isRoot else { return token.policies }
        let store = IdentityStore(storage: storage ?? direct)
        guard let entity = try await store.entity(id: entityID) else { return token.policies }
        guard !entity.disabled else { throw TresorError.permissionDenied }
        var policies = Set(token.policies).union(entity.policies)
        let (directGroups, inherited) = try await store.groupIDs(ofEntity: entityID)
        for id in directGroups + inherited {
            if let group = try await store.group(id: id) { policies.formUnion(group.policies) }
        }
        return policies.sorted()
    }
}

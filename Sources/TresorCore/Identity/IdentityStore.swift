import Foundation

/// One person or service across auth methods: an entity, and the aliases by which each auth
/// method knows it. Kept under the barrier in the core's own storage, with name indexes that
/// ignore case, as Vault's do.
struct Entity: Codable, Sendable {
    var id: String
    var name: String
    var metadata: [String: String] = [:]
    var policies: [String] = []
    var disabled = false
    var creationTime: Date
    var lastUpdateTime: Date
    var mergedEntityIDs: [String]?
}

struct EntityAlias: Codable, Sendable {
    var id: String
    var canonicalID: String
    var mountAccessor: String
    var name: String
    var customMetadata: [String: String] = [:]
    var creationTime: Date
    var lastUpdateTime: Date
}

/// Storage of entities and aliases in one request's transaction.
struct IdentityStore {
    let storage: Storage
    /// Run after the transaction of any write commits (the core's identity cache drops its views).
    var changed: @Sendable () -> Void = {}

    init(storage: Storage, changed: @escaping @Sendable () -> Void = {}) {
        self.storage = storage
        self.changed = changed
    }

    /// Every write goes through here first.
    private func willChange() { storage.afterCommit(changed) }
    static let entityPrefix = "sys/identity/entity/"
    static let entityNamePrefix = "sys/identity/entity-name/"
    static let aliasPrefix = "sys/identity/alias/"
    static let aliasKeyPrefix = "sys/identity/alias-key/"
    static let aliasesOfPrefix = "sys/identity/entity-aliases/"

    /// Policy names for an entity or group: trimmed and lower-cased (so `Root` is `root`), and
    /// never `root` (CVE-2025-64761).
    static func identityPolicies(_ fields: FieldData) throws -> [String] {
        let names = try fields.strings("policies")
        guard !names.contains("root") else { throw TresorError.badRequest("the root policy cannot be given to an entity or a group") }
        return names
    }

    static func nameKey(_ name: String) -> String { name.lowercased().addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name }

    func entity(id: String) async throws -> Entity? {
        guard !id.isEmpty, !id.contains("/") else { return nil }
        return try await storage.getJSON(Self.entityPrefix + id, as: Entity.self)
    }

    func entity(name: String) async throws -> Entity? {
        guard let id = try await storage.get(Self.entityNamePrefix + Self.nameKey(name)) else { return nil }
        return try await entity(id: String(decoding: id, as: UTF8.self))
    }

    /// Writes an entity and its name index (dropping the old name's index on a rename).
    func save(_ entity: Entity, previousName: String? = nil) async throws {
        willChange()
        await storage.lock(Self.entityNamePrefix + Self.nameKey(entity.name))
        if let holder = try await self.entity(name: entity.name), holder.id != entity.id {
            throw TresorError.badRequest("entity name is already in use")
        }
        if let previousName, Self.nameKey(previousName) != Self.nameKey(entity.name) {
            try await storage.delete(Self.entityNamePrefix + Self.nameKey(previousName))
        }
        try await storage.putJSON(Self.entityPrefix + entity.id, entity)
        try await storage.put(Self.entityNamePrefix + Self.nameKey(entity.name), Array(entity.id.utf8))
    }

    /// Deletes an entity with its aliases.
    func delete(entityID: String) async throws {
        willChange()
        guard let entity = try await entity(id: entityID) else { return }
        for alias in try await aliases(of: entityID) { try await delete(aliasID: alias.id) }
        try await storage.delete(Self.entityNamePrefix + Self.nameKey(entity.name))
        try await storage.delete(Self.entityPrefix + entityID)
    }

    func entityIDs() async throws -> [String] {
        try await storage.list(Self.entityPrefix).filter { !$0.hasSuffix("/") }
    }

    // MARK: aliases

    static func aliasKey(_ accessor: String, _ name: String) -> String { aliasKeyPrefix + accessor + "/" + nameKey(name) }

    func alias(id: String) async throws -> EntityAlias? {
        guard !id.isEmpty, !id.contains("/") else { return nil }
        return try await storage.getJSON(Self.aliasPrefix + id, as: EntityAlias.self)
    }

    func alias(accessor: String, name: String) async throws -> EntityAlias? {
        guard let id = try await storage.get(Self.aliasKey(accessor, name)) else { return nil }
        return try await alias(id: String(decoding: id, as: UTF8.self))
    }

    func aliases(of entityID: String) async throws -> [EntityAlias] {
        var found: [EntityAlias] = []
        for id in try await storage.list(Self.aliasesOfPrefix + entityID + "/") where !id.hasSuffix("/") {
            if let alias = try await alias(id: id) { found.append(alias) }
        }
        return found.sorted { $0.creationTime < $1.creationTime }
    }

    func save(_ alias: EntityAlias, previous: EntityAlias? = nil) async throws {
        willChange()
        await storage.lock(Self.aliasKey(alias.mountAccessor, alias.name))
        if let holder = try await self.alias(accessor: alias.mountAccessor, name: alias.name), holder.id != alias.id {
            throw TresorError.badRequest("alias with name \"\(alias.name)\" already exists for mount accessor \"\(alias.mountAccessor)\"")
        }
        if let previous {
            try await storage.delete(Self.aliasKey(previous.mountAccessor, previous.name))
            try await storage.delete(Self.aliasesOfPrefix + previous.canonicalID + "/" + previous.id)
        }
        try await storage.putJSON(Self.aliasPrefix + alias.id, alias)
        try await storage.put(Self.aliasKey(alias.mountAccessor, alias.name), Array(alias.id.utf8))
        try await storage.put(Self.aliasesOfPrefix + alias.canonicalID + "/" + alias.id, [])
    }

    func delete(aliasID: String) async throws {
        willChange()
        guard let alias = try await alias(id: aliasID) else { return }
        try await storage.delete(Self.aliasKey(alias.mountAccessor, alias.name))
        try await storage.delete(Self.aliasesOfPrefix + alias.canonicalID + "/" + alias.id)
        try await storage.delete(Self.aliasPrefix + alias.id)
    }

    func aliasIDs() async throws -> [String] {
        try await storage.list(Self.aliasPrefix).filter { !$0.hasSuffix("/") }
    }
}

import Foundation

/// Groups: internal ones list their member entities and groups; external ones take their
/// members from an auth method, through one group alias. Policies on a group apply to its
/// members' tokens.
struct IdentityGroup: Codable, Sendable {
    var id: String
    var name: String
    var type: String
    var metadata: [String: String] = [:]
    var policies: [String] = []
    var memberEntityIDs: [String]?
    var memberGroupIDs: [String]?
    var creationTime: Date
    var lastUpdateTime: Date
    var modifyIndex = 1
    var aliasID: String?
}

struct GroupAlias: Codable, Sendable {
    var id: String
    var canonicalID: String
    var mountAccessor: String
    var name: String
    var creationTime: Date
    var lastUpdateTime: Date
}

extension IdentityStore {
    static let groupPrefix = "sys/identity/group/"
    static let groupNamePrefix = "sys/identity/group-name/"
    static let groupAliasPrefix = "sys/identity/group-alias/"
    static let groupAliasKeyPrefix = "sys/identity/group-alias-key/"
    /// Membership indexes, kept with every group write: `<entity id>/<group id>` and
    /// `<member group id>/<parent group id>`. A login finds its entity's groups by listing one
    /// folder, however many groups there are.
    static let entityMembershipPrefix = "sys/identity/member-entity/"
    static let groupMembershipPrefix = "sys/identity/member-group/"
    static let membershipIndexMarker = "sys/identity/member-index"

    func group(id: String) async throws -> IdentityGroup? {
        guard !id.isEmpty, !id.contains("/") else { return nil }
        return try await storage.getJSON(Self.groupPrefix + id, as: IdentityGroup.self)
    }

    func group(name: String) async throws -> IdentityGroup? {
        guard let id = try await storage.get(Self.groupNamePrefix + Self.nameKey(name)) else { return nil }
        return try await group(id: String(decoding: id, as: UTF8.self))
    }

    func groups() async throws -> [IdentityGroup] {
        var found: [IdentityGroup] = []
        for id in try await storage.list(Self.groupPrefix) where !id.hasSuffix("/") {
            if let group = try await group(id: id) { found.append(group) }
        }
        return found
    }

    func save(_ group: IdentityGroup, previousName: String? = nil) async throws {
        storage.afterCommit(changed)
        await storage.lock(Self.groupNamePrefix + Self.nameKey(group.name))
        if let holder = try await self.group(name: group.name), holder.id != group.id {
            throw TresorError.badRequest("group name is already in use")
        }
        if let previousName, Self.nameKey(previousName) != Self.nameKey(group.name) {
            try await storage.delete(Self.groupNamePrefix + Self.nameKey(previousName))
        }
        try await indexMembers(of: group, previous: try await self.group(id: group.id))
        try await storage.putJSON(Self.groupPrefix + group.id, group)
        try await storage.put(Self.groupNamePrefix + Self.nameKey(group.name), Array(group.id.utf8))
    }

    func delete(groupID: String) async throws {
        storage.afterCommit(changed)
        guard let group = try await group(id: groupID) else { return }
        if let alias = group.aliasID { try await delete(groupAliasID: alias) }
        var emptied = group
        emptied.memberEntityIDs = nil
        emptied.memberGroupIDs = nil
        try await indexMembers(of: emptied, previous: group)
        try await storage.delete(Self.groupNamePrefix + Self.nameKey(group.name))
        try await storage.delete(Self.groupPrefix + groupID)
    }

    static func groupAliasKey(_ accessor: String, _ name: String) -> String { groupAliasKeyPrefix + accessor + "/" + nameKey(name) }

    func groupAlias(id: String) async throws -> GroupAlias? {
        guard !id.isEmpty, !id.contains("/") else { return nil }
        return try await storage.getJSON(Self.groupAliasPrefix + id, as: GroupAlias.self)
    }

    func groupAlias(accessor: String, name: String) async throws -> GroupAlias? {
        guard let id = try await storage.get(Self.groupAliasKey(accessor, name)) else { return nil }
        return try await groupAlias(id: String(decoding: id, as: UTF8.self))
    }

    func groupAliasIDs() async throws -> [String] {
        try await storage.list(Self.groupAliasPrefix).filter { !$0.hasSuffix("/") }
    }

    func save(_ alias: GroupAlias, previous: GroupAlias?) async throws {
        storage.afterCommit(changed)
        await storage.lock(Self.groupAliasKey(alias.mountAccessor, alias.name))
        if let holder = try await groupAlias(accessor: alias.mountAccessor, name: alias.name), holder.id != alias.id {
            throw TresorError.badRequest("group alias with name \"\(alias.name)\" already exists for mount accessor \"\(alias.mountAccessor)\"")
        }
        if let previous {
            try await storage.delete(Self.groupAliasKey(previous.mountAccessor, previous.name))
            if previous.canonicalID != alias.canonicalID, var old = try await group(id: previous.canonicalID) {
                old.aliasID = nil
                try await save(old, previousName: old.name)
            }
        }
        try await storage.putJSON(Self.groupAliasPrefix + alias.id, alias)
        try await storage.put(Self.groupAliasKey(alias.mountAccessor, alias.name), Array(alias.id.utf8))
        if var owner = try await group(id: alias.canonicalID), owner.aliasID != alias.id {
            owner.aliasID = alias.id
            try await save(owner, previousName: owner.name)
        }
    }

    func delete(groupAliasID: String) async throws {
        storage.afterCommit(changed)
        guard let alias = try await groupAlias(id: groupAliasID) else { return }
        try await storage.delete(Self.groupAliasKey(alias.mountAccessor, alias.name))
        try await storage.delete(Self.groupAliasPrefix + alias.id)
        if var owner = try await group(id: alias.canonicalID), owner.aliasID == alias.id {
            owner.aliasID = nil
            try await storage.putJSON(Self.groupPrefix + owner.id, owner)
        }
    }

    /// Brings the membership indexes from `previous`'s members to `group`'s.
    private func indexMembers(of group: IdentityGroup, previous: IdentityGroup?) async throws {
        for (prefix, before, after) in [(Self.entityMembershipPrefix, previous?.memberEntityIDs, group.memberEntityIDs),
                                        (Self.groupMembershipPrefix, previous?.memberGroupIDs, group.memberGroupIDs)] {
            let old = Set(before ?? []), new = Set(after ?? [])
            for member in old.subtracting(new) where Self.isPlainID(member) { try await storage.delete(prefix + member + "/" + group.id) }
            for member in new.subtracting(old) where Self.isPlainID(member) { try await storage.put(prefix + member + "/" + group.id, []) }
        }
    }

    static func isPlainID(_ id: String) -> Bool { !id.isEmpty && !id.contains("/") && id != "." && id != ".." }

    /// Builds the membership indexes for groups written before they existed (once per store).
    func indexMembershipsIfNeeded() async throws {
        guard try await storage.get(Self.membershipIndexMarker) == nil else { return }
        for group in try await groups() { try await indexMembers(of: group, previous: nil) }
        try await storage.put(Self.membershipIndexMarker, Array("1".utf8))
    }

    /// The groups that list `entityID` directly, and those above them.
    func groupIDs(ofEntity entityID: String) async throws -> (direct: [String], inherited: [String]) {
        guard Self.isPlainID(entityID) else { return ([], []) }
        let direct = try await storage.list(Self.entityMembershipPrefix + entityID + "/").filter { !$0.hasSuffix("/") }
        var inherited: [String] = []
        var seen = Set(direct)
        var frontier = direct
        while let current = frontier.popLast() {
            for parent in try await parentGroupIDs(of: current) where !seen.contains(parent) {
                seen.insert(parent)
                inherited.append(parent)
                frontier.append(parent)
            }
        }
        return (direct.sorted(), inherited.sorted())
    }

    func parentGroupIDs(of groupID: String) async throws -> [String] {
        guard Self.isPlainID(groupID) else { return [] }
        return try await storage.list(Self.groupMembershipPrefix + groupID + "/").filter { !$0.hasSuffix("/") }.sorted()
    }
}

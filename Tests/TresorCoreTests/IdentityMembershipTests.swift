import Foundation
import Testing
@_spi(Server) @testable import TresorCore

/// An entity's groups come from membership indexes kept with every group write, not from a scan
/// of all groups; stores written before the indexes get them built once at unseal.
@Suite struct IdentityMembershipTests {
    static func id(_ response: CoreResponse) -> String { response.response?.data?["id"]?.stringValue ?? "" }

    @Test func directAndInheritedGroupsFollowGroupWrites() async throws {
        let (core, root) = try await TestCore.make()
        let entity = Self.id(try await TestCore.request(core, .update, "identity/entity", token: root, data: ["name": "e"]))
        let team = Self.id(try await TestCore.request(core, .update, "identity/group", token: root,
                                                      data: ["name": "team", "member_entity_ids": .array([.string(entity)])]))
        let org = Self.id(try await TestCore.request(core, .update, "identity/group", token: root,
                                                     data: ["name": "org", "member_group_ids": .array([.string(team)])]))
        let top = Self.id(try await TestCore.request(core, .update, "identity/group", token: root,
                                                     data: ["name": "top", "member_group_ids": .array([.string(org)])]))
        let store = IdentityStore(storage: core.direct)
        #expect(try await store.groupIDs(ofEntity: entity) == ([team], [org, top].sorted()))
        #expect(try await store.parentGroupIDs(of: team) == [org])

        // A cycle (top lists team) ends the walk instead of looping.
        _ = try await TestCore.request(core, .update, "identity/group/id/\(team)", token: root,
                                       data: ["member_entity_ids": .array([.string(entity)]), "member_group_ids": .array([.string(top)])])
        #expect(try await store.groupIDs(ofEntity: entity).direct == [team])

        // Removing the entity from the group, or deleting the group, takes the membership away.
        _ = try await TestCore.request(core, .update, "identity/group/id/\(team)", token: root, data: ["member_entity_ids": .array([])])
        #expect(try await store.groupIDs(ofEntity: entity) == ([], []))
        _ = try await TestCore.request(core, .update, "identity/group/id/\(team)", token: root,
                                       data: ["member_entity_ids": .array([.string(entity)])])
        _ = try await TestCore.request(core, .delete, "identity/group/id/\(org)", token: root)
        #expect(try await store.groupIDs(ofEntity: entity) == ([team], []))
    }

    @Test func indexesAreBuiltForGroupsWrittenBeforeThem() async throws {
        let (core, root) = try await TestCore.make()
        let entity = Self.id(try await TestCore.request(core, .update, "identity/entity", token: root, data: ["name": "old"]))
        let group = Self.id(try await TestCore.request(core, .update, "identity/group", token: root,
                                                       data: ["name": "old-group", "member_entity_ids": .array([.string(entity)])]))
        // As a store from before the indexes: no index entries, no marker.
        let storage = core.direct
        for key in try await storage.listRecursive("sys/identity/member-entity/") {
            try await storage.delete("sys/identity/member-entity/" + key)
        }
        try await storage.delete(IdentityStore.membershipIndexMarker)
        let store = IdentityStore(storage: storage)
        #expect(try await store.groupIDs(ofEntity: entity).direct.isEmpty)
        try await store.indexMembershipsIfNeeded()
        #expect(try await store.groupIDs(ofEntity: entity).direct == [group])
    }
}

import Foundation

extension IdentityBackend {
    static func authMount(_ core: Core, _ accessor: String) -> MountEntry? {
        core.routes.routes.first { $0.mount.accessor == accessor && $0.mount.kind == .auth }?.mount
    }

    static func groupAliasJSON(_ core: Core, _ alias: GroupAlias, namespace: Bool) -> [String: JSONValue] {
        let mounted = authMount(core, alias.mountAccessor)
        var json: [String: JSONValue] = [
            "canonical_id": .string(alias.canonicalID), "creation_time": .string(SystemBackend.iso.format(alias.creationTime)),
            "id": .string(alias.id), "last_update_time": .string(SystemBackend.iso.format(alias.lastUpdateTime)),
            "merged_from_canonical_ids": .null, "metadata": .null, "mount_accessor": .string(alias.mountAccessor),
            "mount_path": .string(mounted.map { "auth/" + $0.path } ?? ""), "mount_type": .string(mounted?.type ?? ""), "name": .string(alias.name),
        ]
        if namespace {
            json["namespace_id"] = "root"
            json["custom_metadata"] = .null
            json["local"] = false
        }
        return json
    }

    static func groupJSON(_ core: Core, _ group: IdentityGroup, _ store: IdentityStore) async throws -> [String: JSONValue] {
        var alias: JSONValue = [:]
        if let id = group.aliasID, let found = try await store.groupAlias(id: id) { alias = .object(groupAliasJSON(core, found, namespace: false)) }
        let parents = try await store.parentGroupIDs(of: group.id)
        return [
            "alias": alias, "creation_time": .string(SystemBackend.iso.format(group.creationTime)), "id": .string(group.id),
            "last_update_time": .string(SystemBackend.iso.format(group.lastUpdateTime)),
            "member_entity_ids": group.memberEntityIDs.map { JSONValue($0) } ?? .null,
            "member_group_ids": group.memberGroupIDs.map { JSONValue($0) } ?? .null,
            "metadata": group.metadata.isEmpty ? .null : JSONValue(group.metadata), "modify_index": .int(Int64(group.modifyIndex)),
            "name": .string(group.name), "namespace_id": "root", "parent_group_ids": parents.isEmpty ? .null : JSONValue(parents),
            "policies": JSONValue(group.policies), "type": .string(group.type),
        ]
    }

    static func groupPaths(_ core: Core) -> [PathSpec] {
        @Sendable func store(_ ctx: RequestContext) -> IdentityStore {
            IdentityStore(storage: ctx.transaction, changed: { [weak core] in core?.identityCache.invalidate() })
        }
        let groupFields = [
            FieldSpec("name", .string), FieldSpec("id", .string), FieldSpec("type", .string), FieldSpec("metadata", .keyValuePairs),
            FieldSpec("policies", .policyNames), FieldSpec("member_group_ids", .commaStringSlice), FieldSpec("member_entity_ids", .commaStringSlice),
        ]
        /// Creates or updates a group; nil means "updated" (204).
        @Sendable func write(_ ctx: RequestContext, _ fields: FieldData, existing: IdentityGroup?, name fixedName: String?) async throws -> LogicalResponse? {
            let store = store(ctx)
            let now = Date()
            var group = existing ?? IdentityGroup(id: RandomUUID.string(), name: "", type: "internal", creationTime: now, lastUpdateTime: now)
            let previousName = existing?.name
            if fields.has("type") {
                let type = try fields.string("type").lowercased()
                guard ["internal", "external", ""].contains(type) else { throw TresorError.badRequest("invalid group type \"\(type)\"") }
                if let existing, !type.isEmpty, existing.type != type { throw TresorError.badRequest("group type cannot be changed") }
                if existing == nil, !type.isEmpty { group.type = type }
            }
            if let fixedName { group.name = fixedName } else if fields.has("name"), !(try fields.string("name")).isEmpty { group.name = try fields.string("name") }
            if group.name.isEmpty { group.name = "group_" + String(group.id.prefix(8)) }
            if fields.has("metadata") { group.metadata = try fields.stringMap("metadata") ?? [:] }
            if fields.has("policies") { group.policies = try IdentityStore.identityPolicies(fields) }
            if fields.has("member_entity_ids") {
                guard group.type == "internal" else { throw TresorError.badRequest("member entities can't be set manually for external groups") }
                let ids = try fields.strings("member_entity_ids")
                for id in ids where try await store.entity(id: id) == nil { throw TresorError.badRequest("entity \"\(id)\" does not exist") }
                group.memberEntityIDs = ids
            }
            if fields.has("member_group_ids") {
                let ids = try fields.strings("member_group_ids")
                for id in ids {
                    guard id != group.id else { throw TresorError.badRequest("member group ID \"\(id)\" is same as the ID of the group") }
                    guard try await store.group(id: id) != nil else { throw TresorError.badRequest("group \"\(id)\" does not exist") }
                }
                group.memberGroupIDs = ids
            }
            group.lastUpdateTime = now
            if existing != nil { group.modifyIndex += 1 }
            try await store.save(group, previousName: previousName)
            if existing != nil { return nil }
            return LogicalResponse(data: ["id": .string(group.id), "name": .string(group.name)])
        }
        let aliasFields = [FieldSpec("name", .string), FieldSpec("id", .string), FieldSpec("mount_accessor", .string), FieldSpec("canonical_id", .string)]
        @Sendable func writeAlias(_ ctx: RequestContext, _ fields: FieldData, existing: GroupAlias?) async throws -> LogicalResponse? {
            let store = store(ctx)
            let now = Date()
            let name = fields.has("name") ? try fields.string("name") : existing?.name ?? ""
            let accessor = fields.has("mount_accessor") ? try fields.string("mount_accessor") : existing?.mountAccessor ?? ""
            var canonical = fields.has("canonical_id") ? try fields.string("canonical_id") : ""
            if canonical.isEmpty { canonical = existing?.canonicalID ?? "" }
            guard !name.isEmpty else { throw TresorError.badRequest("missing alias name") }
            guard authMount(core, accessor) != nil else { throw TresorError.badRequest("invalid mount accessor \"\(accessor)\"") }
            if canonical.isEmpty {
                // No group given: an external group is made for the alias, as in Vault.
                let id = RandomUUID.string()
                try await store.save(IdentityGroup(id: id, name: "group_" + String(id.prefix(8)), type: "external", creationTime: now, lastUpdateTime: now))
                canonical = id
            }
            guard let owner = try await store.group(id: canonical) else { throw TresorError.badRequest("invalid canonical ID") }
            guard owner.type == "external" else { throw TresorError.badRequest("alias can't be set on an internal group") }
            var alias = existing ?? GroupAlias(id: RandomUUID.string(), canonicalID: canonical, mountAccessor: accessor, name: name,
                                               creationTime: now, lastUpdateTime: now)
            alias.canonicalID = canonical
            alias.mountAccessor = accessor
            alias.name = name
            alias.lastUpdateTime = now
            try await store.save(alias, previous: existing)
            return LogicalResponse(data: ["canonical_id": .string(alias.canonicalID), "id": .string(alias.id)])
        }
        return [
            PathSpec("group", fields: groupFields, handlers: [
                .update: { ctx, fields in
                    let store = store(ctx)
                    let id = try fields.string("id")
                    var existing = try await store.group(id: id)
                    if existing == nil, !id.isEmpty { throw TresorError.badRequest("group not found from id") }
                    if existing == nil, !(try fields.string("name")).isEmpty { existing = try await store.group(name: try fields.string("name")) }
                    return try await write(ctx, fields, existing: existing, name: nil)
                },
            ]),
            PathSpec("group/id/", handlers: [
                .list: { ctx, _ in
                    let store = store(ctx)
                    var info: [String: JSONValue] = [:]
                    let all = try await store.groups()
                    for group in all {
                        let parents = all.filter { $0.memberGroupIDs?.contains(group.id) == true }.count
                        info[group.id] = ["name": .string(group.name), "num_member_entities": .int(Int64(group.memberEntityIDs?.count ?? 0)),
                                          "num_parent_groups": .int(Int64(parents))]
                    }
                    return info.isEmpty ? nil : LogicalResponse(data: ["keys": JSONValue(info.keys.sorted()), "key_info": .object(info)])
                },
            ]),
            PathSpec("group/id/{id}", fields: groupFields, handlers: [
                .read: { ctx, _ in
                    let store = store(ctx)
                    guard let group = try await store.group(id: ctx.capture("id")) else { return nil }
                    return LogicalResponse(data: try await groupJSON(core, group, store))
                },
                .update: { ctx, fields in
                    guard let group = try await store(ctx).group(id: ctx.capture("id")) else { throw TresorError.badRequest("group not found from id") }
                    return try await write(ctx, fields, existing: group, name: nil)
                },
                .delete: { ctx, _ in
                    try await store(ctx).delete(groupID: ctx.capture("id"))
                    return nil
                },
            ]),
            PathSpec("group/name/", handlers: [
                .list: { ctx, _ in LogicalResponse.list(try await store(ctx).groups().map(\.name).sorted()) },
            ]),
            PathSpec("group/name/{name}", fields: groupFields, handlers: [
                .read: { ctx, _ in
                    let store = store(ctx)
                    guard let group = try await store.group(name: ctx.capture("name")) else { return nil }
                    return LogicalResponse(data: try await groupJSON(core, group, store))
                },
                .update: { ctx, fields in
                    let existing = try await store(ctx).group(name: ctx.capture("name"))
                    return try await write(ctx, fields, existing: existing, name: existing?.name ?? ctx.capture("name"))
                },
                .delete: { ctx, _ in
                    let store = store(ctx)
                    if let group = try await store.group(name: ctx.capture("name")) { try await store.delete(groupID: group.id) }
                    return nil
                },
            ]),
            PathSpec("group-alias", fields: aliasFields, handlers: [
                .update: { ctx, fields in
                    let store = store(ctx)
                    var existing = try await store.groupAlias(id: try fields.string("id"))
                    if existing == nil {
                        existing = try await store.groupAlias(accessor: try fields.string("mount_accessor"), name: try fields.string("name"))
                    }
                    return try await writeAlias(ctx, fields, existing: existing)
                },
            ]),
            PathSpec("group-alias/id/", handlers: [
                .list: { ctx, _ in
                    let store = store(ctx)
                    var info: [String: JSONValue] = [:]
                    for id in try await store.groupAliasIDs() {
                        guard let alias = try await store.groupAlias(id: id) else { continue }
                        var entry = groupAliasJSON(core, alias, namespace: true)
                        for key in ["creation_time", "last_update_time", "id", "merged_from_canonical_ids", "namespace_id"] { entry[key] = nil }
                        info[id] = .object(entry)
                    }
                    return info.isEmpty ? nil : LogicalResponse(data: ["keys": JSONValue(info.keys.sorted()), "key_info": .object(info)])
                },
            ]),
            PathSpec("group-alias/id/{id}", fields: aliasFields, handlers: [
                .read: { ctx, _ in
                    guard let alias = try await store(ctx).groupAlias(id: ctx.capture("id")) else { return nil }
                    return LogicalResponse(data: groupAliasJSON(core, alias, namespace: true))
                },
                .update: { ctx, fields in
                    guard let alias = try await store(ctx).groupAlias(id: ctx.capture("id")) else { throw TresorError.badRequest("invalid alias id") }
                    return try await writeAlias(ctx, fields, existing: alias)
                },
                .delete: { ctx, _ in
                    try await store(ctx).delete(groupAliasID: ctx.capture("id"))
                    return nil
                },
            ]),
            PathSpec("lookup/group", fields: [
                FieldSpec("name", .string), FieldSpec("id", .string), FieldSpec("alias_id", .string),
                FieldSpec("alias_name", .string), FieldSpec("alias_mount_accessor", .string),
            ], handlers: [
                .update: { ctx, fields in
                    let store = store(ctx)
                    var group: IdentityGroup?
                    switch try lookupCriterion(fields) {
                    case "name": group = try await store.group(name: try fields.string("name"))
                    case "id": group = try await store.group(id: try fields.string("id"))
                    case "alias_id":
                        if let alias = try await store.groupAlias(id: try fields.string("alias_id")) { group = try await store.group(id: alias.canonicalID) }
                    default:
                        let accessor = try fields.string("alias_mount_accessor")
                        guard !accessor.isEmpty else { throw TresorError.badRequest("missing alias_mount_accessor") }
                        if let alias = try await store.groupAlias(accessor: accessor, name: try fields.string("alias_name")) {
                            group = try await store.group(id: alias.canonicalID)
                        }
                    }
                    guard let group else { return nil }
                    return LogicalResponse(data: try await groupJSON(core, group, store))
                },
            ]),
        ]
    }
}

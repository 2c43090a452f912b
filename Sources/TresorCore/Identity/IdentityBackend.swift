import Foundation

/// `identity/`: entities, groups and their aliases, and identity tokens (Vault's paths and JSON).
/// Mounted by the core on every server, like `sys/` and `cubbyhole/`.
struct IdentityBackend: LogicalBackend {
    let paths: [PathSpec]
    let specialPaths = SpecialPaths(unauthenticated: IdentityBackend.oidcUnauthenticated)
    private let clock: @Sendable () -> Date

    func periodic(storage: StorageView, mount: MountEntry) async throws {
        // The identity store keeps its state in the core's own storage, beyond the mount's view.
        try await Self.maintainOIDCKeys(storage: storage.base, now: clock())
    }

    /// Which one of name, id, alias_id and alias_name a lookup names; exactly one is allowed.
    static func lookupCriterion(_ fields: FieldData) throws -> String {
        let given = ["name", "id", "alias_id", "alias_name"].filter { fields.has($0) && !((try? fields.string($0)) ?? "").isEmpty }
        guard given.count == 1 else {
            throw TresorError.badRequest(given.isEmpty ? "missing one of the criteria: name, id, alias_id, alias_name and alias_mount_accessor"
                                                       : "query parameters \(given.joined(separator: ", ")) are mutually exclusive")
        }
        return given[0]
    }

    init(core: Core) {
        @Sendable func store(_ ctx: RequestContext) -> IdentityStore {
            IdentityStore(storage: ctx.transaction, changed: { [weak core] in core?.identityCache.invalidate() })
        }
        @Sendable func mount(_ accessor: String) -> MountEntry? { Self.authMount(core, accessor) }
        @Sendable func aliasJSON(_ alias: EntityAlias, namespace: Bool = false) -> [String: JSONValue] {
            let mounted = mount(alias.mountAccessor)
            var json: [String: JSONValue] = [
                "canonical_id": .string(alias.canonicalID), "creation_time": .string(SystemBackend.iso.format(alias.creationTime)),
                "custom_metadata": JSONValue(alias.customMetadata), "id": .string(alias.id),
                "last_update_time": .string(SystemBackend.iso.format(alias.lastUpdateTime)), "local": false,
                "merged_from_canonical_ids": .null, "metadata": .null, "mount_accessor": .string(alias.mountAccessor),
                "mount_path": .string(mounted.map { "auth/" + $0.path } ?? ""), "mount_type": .string(mounted?.type ?? ""),
                "name": .string(alias.name),
            ]
            if namespace { json["namespace_id"] = "root" }
            return json
        }
        @Sendable func entityJSON(_ entity: Entity, _ store: IdentityStore) async throws -> [String: JSONValue] {
            let (direct, inherited) = try await store.groupIDs(ofEntity: entity.id)
            return [
                "aliases": .array(try await store.aliases(of: entity.id).map { .object(aliasJSON($0)) }),
                "creation_time": .string(SystemBackend.iso.format(entity.creationTime)), "direct_group_ids": JSONValue(direct),
                "disabled": .bool(entity.disabled), "group_ids": JSONValue(direct + inherited), "id": .string(entity.id),
                "inherited_group_ids": JSONValue(inherited),
                "last_update_time": .string(SystemBackend.iso.format(entity.lastUpdateTime)),
                "merged_entity_ids": entity.mergedEntityIDs.map { JSONValue($0) } ?? .null,
                "metadata": entity.metadata.isEmpty ? .null : JSONValue(entity.metadata), "name": .string(entity.name),
                "namespace_id": "root", "policies": JSONValue(entity.policies),
            ]
        }
        /// Creates or updates an entity from the request's fields; nil means "updated" (204).
        @Sendable func write(_ ctx: RequestContext, _ fields: FieldData, existing: Entity?, name fixedName: String?) async throws -> LogicalResponse? {
            let store = store(ctx)
            let now = Date()
            var entity = existing ?? Entity(id: RandomUUID.string(), name: "", creationTime: now, lastUpdateTime: now)
            let previousName = existing?.name
            if let fixedName { entity.name = fixedName } else if fields.has("name") { entity.name = try fields.string("name") }
            if entity.name.isEmpty { entity.name = "entity_" + String(entity.id.prefix(8)) }
            if fields.has("metadata") { entity.metadata = try fields.stringMap("metadata") ?? [:] }
            if fields.has("policies") { entity.policies = try IdentityStore.identityPolicies(fields) }
            if fields.has("disabled") { entity.disabled = try fields.bool("disabled") }
            entity.lastUpdateTime = now
            try await store.save(entity, previousName: previousName)
            if existing != nil { return nil }
            return LogicalResponse(data: ["aliases": .null, "id": .string(entity.id), "name": .string(entity.name)])
        }
        let entityFields = [
            FieldSpec("name", .string), FieldSpec("id", .string), FieldSpec("metadata", .keyValuePairs),
            FieldSpec("policies", .policyNames), FieldSpec("disabled", .bool),
        ]
        let aliasFields = [
            FieldSpec("name", .string), FieldSpec("id", .string), FieldSpec("canonical_id", .string), FieldSpec("entity_id", .string),
            FieldSpec("mount_accessor", .string), FieldSpec("custom_metadata", .keyValuePairs),
        ]
        @Sendable func writeAlias(_ ctx: RequestContext, _ fields: FieldData, existing: EntityAlias?) async throws -> LogicalResponse? {
            let store = store(ctx)
            let now = Date()
            let name = fields.has("name") ? try fields.string("name") : existing?.name ?? ""
            var canonical = try fields.string("canonical_id")
            if canonical.isEmpty { canonical = try fields.string("entity_id") }
            if canonical.isEmpty { canonical = existing?.canonicalID ?? "" }
            let accessor = fields.has("mount_accessor") ? try fields.string("mount_accessor") : existing?.mountAccessor ?? ""
            guard !name.isEmpty else { throw TresorError.badRequest("missing alias name") }
            guard !accessor.isEmpty else { throw TresorError.badRequest("missing mount_accessor") }
            guard mount(accessor) != nil else { throw TresorError.badRequest("invalid mount accessor \"\(accessor)\"") }
            var alias = existing
            if alias == nil, let same = try await store.alias(accessor: accessor, name: name) {
                // Writing an alias that exists under the same name updates it, as in Vault.
                alias = same
            }
            if canonical.isEmpty {
                // No entity given: one is made for the alias.
                let entity = Entity(id: RandomUUID.string(), name: "", creationTime: now, lastUpdateTime: now)
                var named = entity
                named.name = "entity_" + String(entity.id.prefix(8))
                try await store.save(named)
                canonical = named.id
            } else if try await store.entity(id: canonical) == nil {
                throw TresorError.badRequest("invalid canonical ID")
            }
            let previous = alias
            var updated = alias ?? EntityAlias(id: RandomUUID.string(), canonicalID: canonical, mountAccessor: accessor, name: name,
                                                 creationTime: now, lastUpdateTime: now)
            updated.canonicalID = canonical
            updated.mountAccessor = accessor
            updated.name = name
            updated.customMetadata = try fields.stringMap("custom_metadata") ?? (existing?.customMetadata ?? [:])
            updated.lastUpdateTime = now
            try await store.save(updated, previous: previous)
            return LogicalResponse(data: ["canonical_id": .string(updated.canonicalID), "id": .string(updated.id)])
        }

        clock = core.clock
        paths = Self.groupPaths(core) + Self.oidcPaths(core) + [
            PathSpec("entity", fields: entityFields, handlers: [
                .update: { ctx, fields in
                    let store = store(ctx)
                    var existing = try await store.entity(id: try fields.string("id"))
                    if existing == nil, fields.has("id"), !(try fields.string("id")).isEmpty { throw TresorError.badRequest("entity not found from id") }
                    if existing == nil, fields.has("name") { existing = try await store.entity(name: try fields.string("name")) }
                    return try await write(ctx, fields, existing: existing, name: nil)
                },
            ]),
            PathSpec("entity/id/", handlers: [
                .list: { ctx, _ in
                    let store = store(ctx)
                    var keys: [String] = []
                    var info: [String: JSONValue] = [:]
                    for id in try await store.entityIDs() {
                        guard let entity = try await store.entity(id: id) else { continue }
                        keys.append(id)
                        info[id] = ["name": .string(entity.name)]
                    }
                    return keys.isEmpty ? nil : LogicalResponse(data: ["keys": JSONValue(keys), "key_info": .object(info)])
                },
            ]),
            PathSpec("entity/id/{id}", fields: entityFields, handlers: [
                .read: { ctx, _ in
                    let store = store(ctx)
                    guard let entity = try await store.entity(id: ctx.capture("id")) else { return nil }
                    return LogicalResponse(data: try await entityJSON(entity, store))
                },
                .update: { ctx, fields in
                    guard let entity = try await store(ctx).entity(id: ctx.capture("id")) else { throw TresorError.badRequest("entity not found from id") }
                    return try await write(ctx, fields, existing: entity, name: nil)
                },
                .delete: { ctx, _ in
                    try await store(ctx).delete(entityID: ctx.capture("id"))
                    return nil
                },
            ]),
            PathSpec("entity/name/", handlers: [
                .list: { ctx, _ in
                    let store = store(ctx)
                    var names: [String] = []
                    for id in try await store.entityIDs() { if let entity = try await store.entity(id: id) { names.append(entity.name) } }
                    return LogicalResponse.list(names.sorted())
                },
            ]),
            PathSpec("entity/name/{name}", fields: entityFields, handlers: [
                .read: { ctx, _ in
                    let store = store(ctx)
                    guard let entity = try await store.entity(name: ctx.capture("name")) else { return nil }
                    return LogicalResponse(data: try await entityJSON(entity, store))
                },
                .update: { ctx, fields in
                    let existing = try await store(ctx).entity(name: ctx.capture("name"))
                    return try await write(ctx, fields, existing: existing, name: existing?.name ?? ctx.capture("name"))
                },
                .delete: { ctx, _ in
                    let store = store(ctx)
                    if let entity = try await store.entity(name: ctx.capture("name")) { try await store.delete(entityID: entity.id) }
                    return nil
                },
            ]),
            PathSpec("entity/batch-delete", fields: [FieldSpec("entity_ids", .commaStringSlice)], handlers: [
                .update: { ctx, fields in
                    let store = store(ctx)
                    for id in try fields.strings("entity_ids") { try await store.delete(entityID: id) }
                    return nil
                },
            ]),
            PathSpec("entity/merge", fields: [
                FieldSpec("from_entity_ids", .commaStringSlice), FieldSpec("to_entity_id", .string), FieldSpec("force", .bool),
                FieldSpec("conflicting_alias_ids_to_keep", .commaStringSlice),
            ], handlers: [
                .update: { ctx, fields in
                    let store = store(ctx)
                    let targetID = try fields.string("to_entity_id")
                    guard !targetID.isEmpty else { throw TresorError.badRequest("missing entity id to merge to") }
                    let sources = try fields.strings("from_entity_ids")
                    guard !sources.isEmpty else { throw TresorError.badRequest("missing entity ids to merge from") }
                    guard var target = try await store.entity(id: targetID) else { throw TresorError.badRequest("entity id to merge to is invalid") }
                    let keep = Set(try fields.strings("conflicting_alias_ids_to_keep"))
                    let force = try fields.bool("force")
                    var targetAccessors = Dictionary(grouping: try await store.aliases(of: targetID), by: \.mountAccessor)
                    for sourceID in sources where sourceID != targetID {
                        guard let source = try await store.entity(id: sourceID) else { throw TresorError.badRequest("entity id to merge from is invalid") }
                        for alias in try await store.aliases(of: sourceID) {
                            if let clash = targetAccessors[alias.mountAccessor]?.first {
                                // Two aliases on one mount: one must go, chosen by the caller.
                                if keep.contains(alias.id) {
                                    try await store.delete(aliasID: clash.id)
                                } else if keep.contains(clash.id) || force {
                                    try await store.delete(aliasID: alias.id)
                                    continue
                                } else {
                                    throw TresorError.badRequest("conflicting mount accessors in following alias IDs and neither were present in conflicting_alias_ids_to_keep: \(alias.id), \(clash.id)")
                                }
                            }
                            var moved = alias
                            moved.canonicalID = targetID
                            try await store.save(moved, previous: alias)
                            targetAccessors[moved.mountAccessor] = [moved]
                        }
                        for key in source.metadata.keys where target.metadata[key] == nil { target.metadata[key] = source.metadata[key] }
                        target.policies = Array(Set(target.policies + source.policies)).sorted()
                        target.mergedEntityIDs = (target.mergedEntityIDs ?? []) + [sourceID]
                        try await store.delete(entityID: sourceID)
                    }
                    target.lastUpdateTime = Date()
                    try await store.save(target, previousName: target.name)
                    return nil
                },
            ]),
            PathSpec("entity-alias", fields: aliasFields, handlers: [
                .update: { ctx, fields in
                    let existing = try await store(ctx).alias(id: try fields.string("id"))
                    return try await writeAlias(ctx, fields, existing: existing)
                },
            ]),
            PathSpec("entity-alias/id/", handlers: [
                .list: { ctx, _ in
                    let store = store(ctx)
                    var keys: [String] = []
                    var info: [String: JSONValue] = [:]
                    for id in try await store.aliasIDs() {
                        guard let alias = try await store.alias(id: id) else { continue }
                        keys.append(id)
                        var entry = aliasJSON(alias)
                        for key in ["creation_time", "last_update_time", "id", "merged_from_canonical_ids"] { entry[key] = nil }
                        info[id] = .object(entry)
                    }
                    return keys.isEmpty ? nil : LogicalResponse(data: ["keys": JSONValue(keys), "key_info": .object(info)])
                },
            ]),
            PathSpec("entity-alias/id/{id}", fields: aliasFields, handlers: [
                .read: { ctx, _ in
                    guard let alias = try await store(ctx).alias(id: ctx.capture("id")) else { return nil }
                    return LogicalResponse(data: aliasJSON(alias, namespace: true))
                },
                .update: { ctx, fields in
                    guard let alias = try await store(ctx).alias(id: ctx.capture("id")) else { throw TresorError.badRequest("invalid alias id") }
                    return try await writeAlias(ctx, fields, existing: alias)
                },
                .delete: { ctx, _ in
                    try await store(ctx).delete(aliasID: ctx.capture("id"))
                    return nil
                },
            ]),
            PathSpec("lookup/entity", fields: [
                FieldSpec("name", .string), FieldSpec("id", .string), FieldSpec("alias_id", .string),
                FieldSpec("alias_name", .string), FieldSpec("alias_mount_accessor", .string),
            ], handlers: [
                .update: { ctx, fields in
                    let store = store(ctx)
                    var entity: Entity?
                    switch try Self.lookupCriterion(fields) {
                    case "name": entity = try await store.entity(name: try fields.string("name"))
                    case "id": entity = try await store.entity(id: try fields.string("id"))
                    case "alias_id":
                        if let alias = try await store.alias(id: try fields.string("alias_id")) { entity = try await store.entity(id: alias.canonicalID) }
                    default:
                        let accessor = try fields.string("alias_mount_accessor")
                        guard !accessor.isEmpty else { throw TresorError.badRequest("missing alias_mount_accessor") }
                        if let alias = try await store.alias(accessor: accessor, name: try fields.string("alias_name")) {
                            entity = try await store.entity(id: alias.canonicalID)
                        }
                    }
                    guard let entity else { return nil }
                    return LogicalResponse(data: try await entityJSON(entity, store))
                },
            ]),
        ]
    }
}

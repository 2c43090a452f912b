/// sys/policy (legacy) and sys/policies/acl: ACL policy CRUD.
extension SystemBackend {
    static func policyPaths(_ core: Core) -> [PathSpec] {
        let store = core.policies
        let names: @Sendable (RequestContext) async throws -> [String] = { ctx in
            var names = try await store.list(storage: ctx.transaction)
            if !names.contains("root") { names.append("root") }
            return names.sorted()
        }
        // The legacy endpoint repeats its answer at the top level and under two names.
        let legacyList: PathHandler = { ctx, _ in
            let all = JSONValue(try await names(ctx))
            return LogicalResponse(data: ["keys": all, "policies": all], dataAtTopLevel: true)
        }
        let list: PathHandler = { ctx, _ in LogicalResponse(data: ["keys": JSONValue(try await names(ctx))]) }
        let write: @Sendable (String) -> PathHandler = { field in
            { ctx, fields in
                let name = ctx.capture("name")
                let text = try fields.string(field)
                guard !text.isEmpty else { throw TresorError.badRequest("'\(field)' parameter not supplied or empty") }
                // GHSA-59w7-v8rr-pr4p: template values never widen a path, and there is no opt-out.
                for option in ["allow_wildcards_in_identity_templates", "allow_slashes_in_identity_templates"] where fields.has(option) {
                    if try fields.bool(option) {
                        throw TresorError.badRequest("\(option) is not supported: a policy template value holding +, * or / never fills a path")
                    }
                }
                let policy = try await store.put(name, text: text, storage: ctx.transaction)
                ctx.transaction.afterCommit { store.invalidate(policy.name) }
                return nil
            }
        }
        let delete: PathHandler = { ctx, _ in
            let name = ctx.capture("name")
            try await store.delete(name, storage: ctx.transaction)
            ctx.transaction.afterCommit { store.invalidate(name) }
            return nil
        }
        return [
            PathSpec("policy", handlers: [.read: legacyList, .list: legacyList]),
            PathSpec("policy/{name}", fields: [FieldSpec("name", .string), FieldSpec("policy", .string), FieldSpec("rules", .string)], handlers: [
                .read: { ctx, _ in
                    let name = PolicyParser.normalize(ctx.capture("name"))
                    guard let policy = try await store.get(name, storage: ctx.transaction) else { return nil }
                    return LogicalResponse(data: policy.json(textKey: "rules"), dataAtTopLevel: true)
                },
                .update: { ctx, fields in
                    let text = try fields.has("policy") ? fields.string("policy") : fields.string("rules")
                    guard !text.isEmpty else { throw TresorError.badRequest("'policy' parameter not supplied or empty") }
                    let policy = try await store.put(ctx.capture("name"), text: text, storage: ctx.transaction)
                    ctx.transaction.afterCommit { store.invalidate(policy.name) }
                    return nil
                },
                .delete: delete,
            ]),
            PathSpec("policies/acl/", handlers: [.list: list]),
            PathSpec("policies/acl", handlers: [.list: list]),
            PathSpec("policies/acl/{name}", fields: [
                FieldSpec("name", .string), FieldSpec("policy", .string), FieldSpec("allow_wildcards_in_identity_templates", .bool),
                FieldSpec("allow_slashes_in_identity_templates", .bool),
            ], handlers: [
                .read: { ctx, _ in
                    let name = PolicyParser.normalize(ctx.capture("name"))
                    guard let policy = try await store.get(name, storage: ctx.transaction) else { return nil }
                    return LogicalResponse(data: policy.json(textKey: "policy"))
                },
                .update: write("policy"),
                .delete: delete,
            ]),
        ]
    }
}

/// sys/capabilities, capabilities-self and capabilities-accessor: what a token may do on paths.
extension SystemBackend {
    static func capabilityPaths(_ core: Core) -> [PathSpec] {
        let fields = [FieldSpec("token", .string), FieldSpec("accessor", .string), FieldSpec("path", .commaStringSlice), FieldSpec("paths", .commaStringSlice)]
        let answer: @Sendable (TokenEntry?, FieldData, Storage) async throws -> LogicalResponse = { token, fields, storage in
            let paths = try fields.strings("paths") + fields.strings("path")
            guard !paths.isEmpty else { throw TresorError.badRequest("missing paths") }
            var data: [String: JSONValue] = [:]
            var first: [String]?
            for raw in paths {
                let path = raw.hasPrefix("/") ? String(raw.dropFirst()) : raw
                let names: [String]
                if let token {
                    names = try await core.policies.acl(for: token.policies, storage: storage).capabilityNames(on: path)
                } else {
                    names = ["deny"]
                }
                data[raw] = JSONValue(names)
                if first == nil { first = names }
            }
            // Single-path callers read the top-level "capabilities" key.
            data["capabilities"] = JSONValue(paths.count == 1 ? first! : [])
            if paths.count > 1 { data.removeValue(forKey: "capabilities") }
            return LogicalResponse(data: data, dataAtTopLevel: true)
        }
        return [
            PathSpec("capabilities", fields: fields, handlers: [
                .update: { ctx, fields in
                    let token = try await core.tokens.lookup(token: try fields.string("token"), storage: ctx.transaction)
                    return try await answer(token, fields, ctx.transaction)
                },
            ]),
            PathSpec("capabilities-self", fields: fields, handlers: [
                .update: { ctx, fields in try await answer(ctx.token, fields, ctx.transaction) },
            ]),
            PathSpec("capabilities-accessor", fields: fields, handlers: [
                .update: { ctx, fields in
                    let accessor = try fields.string("accessor")
                    guard !accessor.isEmpty else { throw TresorError.badRequest("missing accessor") }
                    guard let token = try await core.tokens.lookup(accessor: accessor, storage: ctx.transaction) else {
                        throw TresorError.badRequest("invalid accessor")
                    }
                    return try await answer(token, fields, ctx.transaction)
                },
            ]),
        ]
    }
}

import Foundation

/// sys/wrapping/*: wrap any data, look a wrapping token up, unwrap it once, rewrap it.
extension SystemBackend {
    static func wrappingPaths(_ core: Core) -> [PathSpec] {
        let tokenField = [FieldSpec("token", .string)]
        return [
            PathSpec("wrapping/wrap", handlers: [
                .update: { ctx, fields in
                    guard ctx.request.wrapTTL > 0 else { throw TresorError.badRequest("endpoint requires response wrapping to be used") }
                    return LogicalResponse(data: fields.raw)
                },
            ]),
            PathSpec("wrapping/unwrap", fields: tokenField, handlers: [
                .update: { ctx, fields in try await core.unwrap(token: try fields.string("token"), caller: ctx.token, storage: ctx.transaction) },
            ]),
            PathSpec("wrapping/rewrap", fields: tokenField, handlers: [
                .update: { ctx, fields in try await core.rewrap(token: try fields.string("token"), caller: ctx.token, storage: ctx.transaction) },
            ]),
            PathSpec("wrapping/lookup", fields: tokenField, handlers: [
                .update: { ctx, fields in
                    let given = try fields.string("token")
                    return try await core.lookupWrapping(token: given.isEmpty ? ctx.request.clientToken : given, storage: ctx.transaction)
                },
                .read: { ctx, fields in
                    let given = try fields.string("token")
                    return try await core.lookupWrapping(token: given.isEmpty ? ctx.request.clientToken : given, storage: ctx.transaction)
                },
            ]),
        ]
    }
}

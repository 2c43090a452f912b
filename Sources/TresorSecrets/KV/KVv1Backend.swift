import TresorCore

/// KV version 1: one JSON object per path, overwritten on each write.
struct KVv1Backend: LogicalBackend {
    let paths: [PathSpec]

    init(mount: MountEntry) {
        paths = [
            PathSpec("{path*}", existenceCheck: { ctx, _ in try await ctx.storage.get(ctx.capture("path")) != nil },
                     synopsis: "Pass-through secret storage: any JSON object per path.", handlers: [
                .list: { ctx, _ in
                    LogicalResponse.list(try await ctx.storage.list(ctx.capture("path")))
                },
                .read: { ctx, _ in
                    let path = ctx.capture("path")
                    guard !path.isEmpty, let bytes = try await ctx.storage.get(path) else { return nil }
                    let data = try JSONValue.decodeStored([String: JSONValue].self, from: bytes)
                    // Vault hands KV v1 reads a lease duration: the mount's default, or a "ttl" key in the data.
                    var duration = ctx.ttl.defaultTTL
                    if let ttl = data["ttl"], let seconds = DurationParser.seconds(ttl), seconds > 0 { duration = seconds }
                    return LogicalResponse(data: data, lease: LeaseResponse(duration: duration, renewable: false))
                },
                .update: { ctx, fields in try await Self.write(ctx, fields) },
                .create: { ctx, fields in try await Self.write(ctx, fields) },
                .delete: { ctx, _ in
                    try await ctx.storage.delete(ctx.capture("path"))
                    return nil
                },
            ]),
        ]
    }

    static func write(_ ctx: RequestContext, _ fields: FieldData) async throws -> LogicalResponse? {
        let path = ctx.capture("path")
        guard !path.isEmpty, !path.hasSuffix("/") else { throw TresorError.badRequest("cannot write to a path ending in '/'") }
        guard !fields.raw.isEmpty else { throw TresorError.badRequest("missing data fields") }
        if let ttl = fields.raw["ttl"], DurationParser.seconds(ttl) == nil {
            throw TresorError.badRequest("failed to parse ttl: invalid duration")
        }
        try await ctx.storage.put(path, JSONWriter.encode(.object(fields.raw)))
        return nil
    }
}

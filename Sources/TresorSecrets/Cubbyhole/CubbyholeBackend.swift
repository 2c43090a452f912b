import TresorCore

/// Per-token private storage: every token sees only its own cubbyhole, which dies with it.
struct CubbyholeBackend: LogicalBackend {
    let paths: [PathSpec]

    init() {
        /// The caller's own corner of the mount.
        @Sendable func storage(_ ctx: RequestContext) throws -> StorageView {
            guard let token = ctx.token else { throw TresorError.permissionDenied }
            // A batch token is stored nowhere, so nothing could destroy its cubbyhole with it.
            guard token.type != "batch", !token.cubbyholeID.isEmpty else {
                throw TresorError.badRequest("cubbyhole operations are only supported by 'service' type tokens")
            }
            return ctx.storage.sub(token.cubbyholeID + "/")
        }
        paths = [
            PathSpec("{path*}", existenceCheck: { ctx, _ in try await storage(ctx).get(ctx.capture("path")) != nil },
                     synopsis: "Private storage of the calling token.", handlers: [
                .list: { ctx, _ in LogicalResponse.list(try await storage(ctx).list(ctx.capture("path"))) },
                .read: { ctx, _ in
                    let path = ctx.capture("path")
                    guard !path.isEmpty, let bytes = try await storage(ctx).get(path) else { return nil }
                    return LogicalResponse(data: try JSONValue.decodeStored([String: JSONValue].self, from: bytes))
                },
                .update: { ctx, fields in try await Self.write(ctx, fields, storage(ctx)) },
                .create: { ctx, fields in try await Self.write(ctx, fields, storage(ctx)) },
                .delete: { ctx, _ in
                    try await storage(ctx).delete(ctx.capture("path"))
                    return nil
                },
            ]),
        ]
    }

    /// A cubbyhole lives exactly as long as its token.
    func tokenRevoked(_ token: TokenEntry, storage: StorageView) async throws {
        let cubbyhole = storage.sub(token.cubbyholeID + "/")
        for key in try await cubbyhole.listRecursive("") {
            try await cubbyhole.delete(key)
        }
    }

    static func write(_ ctx: RequestContext, _ fields: FieldData, _ storage: StorageView) async throws -> LogicalResponse? {
        let path = ctx.capture("path")
        guard !path.isEmpty, !path.hasSuffix("/") else { throw TresorError.badRequest("cannot write to a path ending in '/'") }
        guard !fields.raw.isEmpty else { throw TresorError.badRequest("missing data fields") }
        try await storage.put(path, JSONWriter.encode(.object(fields.raw)))
        return nil
    }
}

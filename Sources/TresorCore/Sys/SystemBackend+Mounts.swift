/// sys/mounts and sys/auth: enabling, listing, reading, tuning and disabling engines and methods.
extension SystemBackend {
    static func mountPaths(_ core: Core) -> [PathSpec] {
        tablePaths(core, prefix: "mounts", kind: .secret)
    }

    static func authPaths(_ core: Core) -> [PathSpec] {
        tablePaths(core, prefix: "auth", kind: .auth)
    }

    private static func tablePaths(_ core: Core, prefix: String, kind: BackendKind) -> [PathSpec] {
        let mountedOrFail: @Sendable (String) throws -> MountEntry = { path in
            guard let entry = core.mountEntry(path: path, kind: kind) else {
                let normalized = (try? Core.normalizeMountPath(path)) ?? path
                throw TresorError.badRequest(kind == .auth ? "No auth engine at \(normalized)" : "No secret engine mount at \(normalized)")
            }
            return entry
        }
        return [
            PathSpec(prefix, handlers: [
                .read: { _, _ in
                    LogicalResponse(data: listing(core.routes.mounts.filter { $0.kind == kind }), dataAtTopLevel: true)
                },
            ]),
            PathSpec("\(prefix)/{path+}/tune", fields: tuneFields(), handlers: [
                .read: { ctx, _ in tuneResponse(try mountedOrFail(ctx.capture("path")), system: core.tokens.ttl) },
                .update: { ctx, fields in
                    _ = try mountedOrFail(ctx.capture("path"))
                    try await core.updateMount(path: ctx.capture("path"), kind: kind, transaction: ctx.transaction) { entry in
                        try applyTune(fields, to: &entry)
                    }
                    return nil
                },
            ]),
            PathSpec("\(prefix)/{path+}", fields: mountFields(), handlers: [
                .read: { ctx, _ in
                    let entry = try mountedOrFail(ctx.capture("path"))
                    return LogicalResponse(data: entry.describe().objectValue, dataAtTopLevel: true)
                },
                .update: { ctx, fields in
                    let entry = try entry(from: fields, path: ctx.capture("path"), kind: kind)
                    try await core.enableMount(entry, transaction: ctx.transaction)
                    return nil
                },
                .delete: { ctx, _ in
                    try await core.disableMount(path: ctx.capture("path"), kind: kind, transaction: ctx.transaction)
                    return nil
                },
            ]),
        ]
    }
}

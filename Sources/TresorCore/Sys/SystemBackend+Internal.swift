/// sys/internal/ui/mounts (how the CLI's `kv` commands find a mount and its KV version) and
/// version-history.
extension SystemBackend {
    static func internalPaths(_ core: Core) -> [PathSpec] {
        /// The caller's token, looked up here because these paths are reachable without one.
        let caller: @Sendable (RequestContext) async throws -> TokenEntry? = { ctx in
            try await core.tokens.lookup(token: ctx.request.clientToken, storage: ctx.transaction)
        }
        let canSee: @Sendable (TokenEntry, MountEntry, Storage) async throws -> Bool = { token, mount, storage in
            if token.isRoot { return true }
            let acl = try await core.policies.acl(for: token.policies, storage: storage)
            return acl.hasAnyAccess(underPrefix: mount.routePath)
        }
        return [
            PathSpec("internal/ui/mounts", handlers: [
                .read: { ctx, _ in
                    var secret: [String: JSONValue] = [:]
                    var auth: [String: JSONValue] = [:]
                    let token = try await caller(ctx)
                    for mount in core.routes.mounts {
                        let visible: Bool
                        if let token {
                            visible = try await canSee(token, mount, ctx.transaction)
                        } else {
                            visible = mount.config.listingVisibility == "unauth"
                        }
                        guard visible else { continue }
                        if mount.kind == .auth { auth[mount.path] = mount.describe() } else { secret[mount.path] = mount.describe() }
                    }
                    return LogicalResponse(data: ["secret": .object(secret), "auth": .object(auth)])
                },
            ]),
            PathSpec("internal/ui/mounts/{path+}", handlers: [
                .read: { ctx, _ in
                    let path = ctx.capture("path")
                    guard let token = try await caller(ctx) else { throw TresorError.permissionDenied }
                    guard let (route, _) = core.routes.match(path) else {
                        throw TresorError.badRequest("no mount found for path \"\(path)\"")
                    }
                    let mount = route.mount
                    guard try await canSee(token, mount, ctx.transaction) else {
                        throw TresorError.permissionDenied
                    }
                    var data = mount.describe().objectValue ?? [:]
                    data["path"] = .string(mount.routePath)
                    return LogicalResponse(data: data)
                },
            ]),
            PathSpec("version-history/", handlers: [
                .list: { _, _ in
                    LogicalResponse(data: [
                        "keys": JSONValue([TresorVersion.current]),
                        "key_info": [TresorVersion.current: [
                            "build_date": "2026-11-01T00:00:00Z",
                            "previous_version": .null,
                            "timestamp_installed": "2026-11-01T00:00:00Z",
                        ]],
                    ])
                },
            ]),
        ]
    }
}

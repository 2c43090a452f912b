import Foundation

/// `sys/quotas/lease-count/:name` (Vault Enterprise's API): the guard that stops a lease
/// explosion before it starts.
extension SystemBackend {
    static func quotaPaths(_ core: Core) -> [PathSpec] {
        let fields = [FieldSpec("name", .string), FieldSpec("path", .string), FieldSpec("role", .string),
                      FieldSpec("max_leases", .int), FieldSpec("inheritable", .bool), FieldSpec("type", .string)]
        let list: PathHandler = { _, _ in
            LogicalResponse.list(try await core.direct.list(Core.leaseQuotaPrefix).filter { !$0.hasSuffix("/") })
        }
        return [
            PathSpec("quotas/lease-count", handlers: [.list: list]),
            PathSpec("quotas/lease-count/", handlers: [.list: list]),
            PathSpec("quotas/lease-count/{name}", fields: fields, handlers: [
                .read: { ctx, _ in
                    guard let quota = try await ctx.transaction.getJSON(Core.leaseQuotaPrefix + ctx.capture("name"), as: LeaseCountQuota.self) else { return nil }
                    var data = quota.json
                    if let count = core.leaseQuotas.count(of: quota.name) { data["counter"] = .int(count) }
                    return LogicalResponse(data: data)
                },
                .update: { ctx, fields in
                    let name = ctx.capture("name")
                    guard !name.isEmpty, !name.contains("/") else { throw TresorError.badRequest("quota name is required") }
                    let key = Core.leaseQuotaPrefix + name
                    await ctx.transaction.lock(key)
                    let existing = try await ctx.transaction.getJSON(key, as: LeaseCountQuota.self)
                    var quota = existing ?? LeaseCountQuota(name: name, path: "", role: "", maxLeases: 0, inheritable: false)
                    if fields.has("path") { quota.path = try normalizedQuotaPath(try fields.string("path"), core: core) }
                    if fields.has("role") { quota.role = try fields.string("role") }
                    if fields.has("max_leases") { quota.maxLeases = try fields.int("max_leases") }
                    if fields.has("inheritable") { quota.inheritable = try fields.bool("inheritable") }
                    guard quota.maxLeases > 0 else { throw TresorError.badRequest("max_leases must be greater than 0") }
                    if !quota.role.isEmpty {
                        guard let mount = core.routes.mounts.first(where: { quota.leasePrefix.hasPrefix($0.routePath) }), mount.kind == .auth else {
                            throw TresorError.badRequest("role can only be set on a quota whose path is an auth mount")
                        }
                    }
                    try await ctx.transaction.putJSON(key, quota)
                    let saved = quota
                    ctx.transaction.afterCommit { core.leaseQuotas.set(saved) }
                    return nil
                },
                .delete: { ctx, _ in
                    let name = ctx.capture("name")
                    try await ctx.transaction.delete(Core.leaseQuotaPrefix + name)
                    ctx.transaction.afterCommit { core.leaseQuotas.remove(name) }
                    return nil
                },
            ]),
        ]
    }

    /// A quota's path: blank (global), or inside a mount that exists.
    private static func normalizedQuotaPath(_ raw: String, core: Core) throws -> String {
        var path = raw
        while path.hasPrefix("/") { path.removeFirst() }
        guard !path.isEmpty else { return "" }
        guard !path.contains(".."), !path.dropLast().contains("*") else { throw TresorError.badRequest("invalid path \"\(raw)\"") }
        let probe = path.hasSuffix("*") ? String(path.dropLast()) : (path.hasSuffix("/") ? path : path + "/")
        guard core.routes.mounts.contains(where: { probe.hasPrefix($0.routePath) }) else {
            throw TresorError.badRequest("invalid mount path \"\(raw)\"")
        }
        return path
    }
}

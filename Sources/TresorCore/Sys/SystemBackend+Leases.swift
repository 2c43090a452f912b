import Foundation

/// sys/leases/* and the legacy sys/renew, sys/revoke paths the CLI and older clients use.
extension SystemBackend {
    static func leasePaths(_ core: Core) -> [PathSpec] {
        let leaseFields = [FieldSpec("lease_id", .string), FieldSpec("url_lease_id", .string), FieldSpec("increment", .duration)]
        /// The lease id from the path or the body.
        @Sendable func leaseID(_ ctx: RequestContext, _ fields: FieldData) throws -> String {
            let fromBody = try fields.string("lease_id")
            let id = ctx.captures["lease_id"] ?? fromBody
            guard !id.isEmpty else { throw TresorError.badRequest("missing lease ID") }
            return id
        }
        let renew: PathHandler = { ctx, fields in
            let (entry, warnings) = try await core.renewLease(try leaseID(ctx, fields), increment: try fields.duration("increment"), caller: ctx.token)
            // The duration granted by this renewal, counted from the renewal itself.
            let granted = SafeNumbers.seconds(until: entry.expireTime.timeIntervalSince(entry.lastRenewalTime ?? Date()).rounded())
            return LogicalResponse(warnings: warnings, lease: LeaseResponse(leaseID: entry.leaseID, duration: granted, renewable: entry.renewable))
        }
        let revoke: PathHandler = { ctx, fields in
            let id = try leaseID(ctx, fields)
            guard let entry = try await core.lease(id) else { return nil }
            try core.checkLeaseOwner(entry, caller: ctx.token)
            try await core.revokeLease(id)
            return nil
        }
        let revokePrefix: @Sendable (Bool) -> PathHandler = { force in
            { ctx, _ in
                var prefix = ctx.capture("prefix")
                // The prefix may name one lease exactly; otherwise it is a folder.
                if let single = try await core.lease(prefix) {
                    try await core.revokeLease(single.leaseID, force: force)
                } else {
                    if !prefix.hasSuffix("/") { prefix += "/" }
                    try await core.revokeLeases(prefix: prefix, force: force)
                }
                return nil
            }
        }
        return [
            PathSpec("leases/lookup", fields: leaseFields, handlers: [
                .update: { ctx, fields in
                    guard let entry = try await core.lease(try leaseID(ctx, fields)) else { throw TresorError.badRequest("invalid lease") }
                    return LogicalResponse(data: entry.lookupJSON(now: Date()))
                },
            ]),
            PathSpec("leases/lookup/{prefix*}", handlers: [
                .list: { ctx, _ in
                    let prefix = ctx.capture("prefix")
                    let children = try await core.direct.list(Core.leasePrefix + prefix)
                    return LogicalResponse.list(children)
                },
            ]),
            PathSpec("leases/renew", fields: leaseFields, handlers: [.update: renew]),
            PathSpec("leases/renew/{lease_id+}", fields: leaseFields, handlers: [.update: renew]),
            PathSpec("renew", fields: leaseFields, handlers: [.update: renew]),
            PathSpec("renew/{lease_id+}", fields: leaseFields, handlers: [.update: renew]),
            PathSpec("leases/revoke", fields: leaseFields, handlers: [.update: revoke]),
            PathSpec("leases/revoke/{lease_id+}", fields: leaseFields, handlers: [.update: revoke]),
            PathSpec("revoke", fields: leaseFields, handlers: [.update: revoke]),
            PathSpec("revoke/{lease_id+}", fields: leaseFields, handlers: [.update: revoke]),
            PathSpec("leases/revoke-prefix/{prefix+}", handlers: [.update: revokePrefix(false)]),
            PathSpec("revoke-prefix/{prefix+}", handlers: [.update: revokePrefix(false)]),
            PathSpec("leases/revoke-force/{prefix+}", handlers: [.update: revokePrefix(true)]),
            PathSpec("revoke-force/{prefix+}", handlers: [.update: revokePrefix(true)]),
            PathSpec("leases/tidy", handlers: [
                .update: { _, _ in
                    try await core.tidyLeases()
                    return nil
                },
            ]),
        ]
    }
}

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
            let id = try leaseID(ctx, fields)
            let increment = try fields.duration("increment")
            if case .token(let token)? = try await core.storedLease(id) {
                try core.checkTokenLeaseOwner(token, caller: ctx.token)
                let updated = try await core.renewToken(token, increment: increment, storage: ctx.transaction)
                let granted = updated.expireTime.map { SafeNumbers.seconds(until: $0.timeIntervalSinceNow.rounded()) } ?? 0
                return LogicalResponse(lease: LeaseResponse(leaseID: id, duration: granted, renewable: updated.renewable))
            }
            let (entry, warnings) = try await core.renewLease(id, increment: increment, caller: ctx.token)
            // The duration granted by this renewal, counted from the renewal itself.
            let granted = SafeNumbers.seconds(until: entry.expireTime.timeIntervalSince(entry.lastRenewalTime ?? Date()).rounded())
            return LogicalResponse(warnings: warnings, lease: LeaseResponse(leaseID: entry.leaseID, duration: granted, renewable: entry.renewable))
        }
        let revoke: PathHandler = { ctx, fields in
            let id = try leaseID(ctx, fields)
            switch try await core.storedLease(id) {
            case nil:
                break
            case .token(let token)?:
                try core.checkTokenLeaseOwner(token, caller: ctx.token)
                try await core.revokeTokenLease(token)
            case .secret(let entry)?:
                try core.checkLeaseOwner(entry, caller: ctx.token)
                if fields.has("sync"), try !fields.bool("sync") {
                    Task { try? await core.revokeLease(id) }
                    return .raw(status: 202, body: nil)
                }
                try await core.revokeLease(id)
            }
            return nil
        }
        let revokePrefix: @Sendable (Bool) -> PathHandler = { force in
            { ctx, fields in
                var prefix = ctx.capture("prefix")
                // The prefix may name one lease exactly; otherwise it is a folder.
                switch try await core.storedLease(prefix) {
                case .token(let token)?:
                    try await core.revokeTokenLease(token)
                case .secret(let single)?:
                    try await core.revokeLease(single.leaseID, force: force)
                case nil:
                    if !prefix.hasSuffix("/") { prefix += "/" }
                    if fields.has("sync"), try !fields.bool("sync") {
                        try await core.revokeLeasesInBackground(prefix: prefix, force: force)
                        return .raw(status: 202, body: nil)
                    }
                    try await core.revokeLeases(prefix: prefix, force: force)
                }
                return nil
            }
        }
        let syncField = [FieldSpec("sync", .bool, default: true)]
        return [
            PathSpec("leases/lookup", fields: leaseFields, handlers: [
                .update: { ctx, fields in
                    switch try await core.storedLease(try leaseID(ctx, fields)) {
                    case .secret(let entry)?: return LogicalResponse(data: entry.lookupJSON(now: Date()))
                    case .token(let token)?: return LogicalResponse(data: Core.tokenLeaseJSON(token, now: Date()))
                    case nil: throw TresorError.badRequest("invalid lease")
                    }
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
            PathSpec("leases/revoke", fields: leaseFields + syncField, handlers: [.update: revoke]),
            PathSpec("leases/revoke/{lease_id+}", fields: leaseFields + syncField, handlers: [.update: revoke]),
            PathSpec("revoke", fields: leaseFields + syncField, handlers: [.update: revoke]),
            PathSpec("revoke/{lease_id+}", fields: leaseFields + syncField, handlers: [.update: revoke]),
            PathSpec("leases/revoke-prefix/{prefix+}", fields: syncField, handlers: [.update: revokePrefix(false)]),
            PathSpec("revoke-prefix/{prefix+}", fields: syncField, handlers: [.update: revokePrefix(false)]),
            PathSpec("leases/revoke-force/{prefix+}", handlers: [.update: revokePrefix(true)]),
            PathSpec("revoke-force/{prefix+}", handlers: [.update: revokePrefix(true)]),
            PathSpec("leases/count", fields: [FieldSpec("type", .string), FieldSpec("include_child", .bool)], handlers: [
                .read: { _, fields in LogicalResponse(data: try await core.leaseCounts(type: try fields.string("type"))) },
            ]),
            PathSpec("leases", fields: [FieldSpec("type", .string), FieldSpec("include_child", .bool), FieldSpec("limit", .string)], handlers: [
                .read: { _, fields in
                    LogicalResponse(data: try await core.irrevocableLeases(type: try fields.string("type"), limit: try fields.string("limit")))
                },
            ]),
            PathSpec("leases/tidy", handlers: [
                .update: { _, _ in
                    try await core.tidyLeases()
                    return nil
                },
            ]),
        ]
    }
}

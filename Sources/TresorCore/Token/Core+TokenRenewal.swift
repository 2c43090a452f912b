import Foundation

extension Core {
    /// Renews a service token, asking the auth method that issued it first: a login token is
    /// renewed only while its method still stands behind it, with the same policies.
    func renewToken(_ entry: TokenEntry, increment requested: Int64, storage: Storage, now: Date = Date()) async throws -> TokenEntry {
        guard entry.type != "batch" else { throw TresorError.badRequest("batch tokens cannot be renewed") }
        var increment = requested
        if let accessor = entry.authMountAccessor {
            guard let route = routes.routes.first(where: { $0.mount.accessor == accessor }) else {
                throw TresorError.badRequest("the auth method that issued this token is no longer enabled")
            }
            if let renewer = route.backend as? LoginRenewer {
                let grant = try await renewer.renewLogin(entry, storage: StorageView(storage, prefix: route.mount.storagePrefix))
                let granted = Set(grant.policies.map(PolicyParser.normalize)).subtracting(["default"])
                guard granted == Set(entry.policies).subtracting(["default"]) else {
                    throw TresorError.badRequest("policies have changed, not renewing")
                }
                if increment == 0 { increment = grant.ttl }
            }
        }
        return try await tokens.renew(entry, increment: increment, storage: storage, now: now)
    }
}

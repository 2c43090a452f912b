import Foundation

/// Where lease-count quotas meet the core: loaded at unseal, asked for every lease and service
/// token made (batch tokens are refused by a full quota but take no place; root tokens are
/// never refused, so an operator can always get in to clean up).
extension Core {
    static let leaseQuotaPrefix = "sys/quotas/lease-count/"

    func loadLeaseQuotas() async throws {
        var quotas: [LeaseCountQuota] = []
        for name in try await direct.list(Self.leaseQuotaPrefix) where !name.hasSuffix("/") {
            if let quota = try await direct.getJSON(Self.leaseQuotaPrefix + name, as: LeaseCountQuota.self) { quotas.append(quota) }
        }
        leaseQuotas.replaceAll(quotas)
    }

    func reserveLeaseQuota(leaseID: String, role: String?, blockOnly: Bool = false, storage: Storage) async throws {
        guard !leaseQuotas.isEmpty else { return }
        let release = try await leaseQuotas.reserve(leaseID: leaseID, role: role, blockOnly: blockOnly) { prefix in
            Int64(try await self.barrier.count(prefix: Self.leasePrefix + prefix))
        }
        if let release { storage.afterDiscard(release) }
    }

    func admitToken(_ entry: TokenEntry, storage: Storage) async throws {
        guard !entry.isRoot else { return }
        try await reserveLeaseQuota(leaseID: TokenStore.leaseID(entry), role: Self.loginRole(entry),
                                    blockOnly: entry.type == "batch", storage: storage)
    }

    /// The auth method's role a login token was issued through, as quotas with `role` match it.
    static func loginRole(_ entry: TokenEntry) -> String? {
        entry.loginData?["role_name"] ?? entry.meta["role_name"] ?? entry.loginData?["role"] ?? entry.meta["role"] ?? entry.role
    }
}

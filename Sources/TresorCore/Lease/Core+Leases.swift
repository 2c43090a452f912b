import Crypto
import Foundation

/// The expiration manager: every leased secret is stored under `sys/expire/id/`, indexed by the
/// token that created it, and revoked through its backend when it expires, when it or its token
/// is revoked, or when an operator revokes a prefix. One scheduler drains every deadline.
extension Core {
    static let leasePrefix = "sys/expire/id/"
    static let leaseTokenPrefix = "sys/expire/token/"
    /// After this many failed revocations a lease is flagged irrevocable (and still retried, slowly).
    static let irrevocableAfter = 6

    static func tokenIndexKey(_ tokenHash: String, _ leaseID: String) -> String {
        leaseTokenPrefix + tokenHash + "/" + SHA256.hash(data: Array(leaseID.utf8)).hexString
    }

    /// Leases the answer of a handler: stores the lease in the request's transaction and returns
    /// what the response envelope says about it.
    func registerLease(_ grant: SecretGrant, request: LogicalRequest, mount: MountEntry, token: TokenEntry?,
                       transaction: RequestTransaction) async throws -> LeaseResponse {
        let limits = tokens.ttl.effective(for: mount)
        let now = clock()
        var maxTTL = grant.maxTTL > 0 ? min(grant.maxTTL, limits.maxTTL) : limits.maxTTL
        // A batch token cannot be revoked, so its leases end when it does; a child batch token's
        // leases are also the parent's, revoked with it.
        let batch = token?.type == "batch"
        if batch, let token { maxTTL = min(maxTTL, token.remainingTTL(at: now)) }
        let ttl = min(grant.ttl > 0 ? grant.ttl : limits.defaultTTL, maxTTL)
        let leaseID = request.path + "/" + TokenCrypto.randomString(24)
        let entry = LeaseEntry(
            leaseID: leaseID, path: request.path, mountAccessor: mount.accessor, secretType: grant.type,
            internalData: grant.internalData, tokenHash: token?.id, issueTime: now,
            expireTime: now.addingTimeInterval(TimeInterval(ttl)), maxExpireTime: now.addingTimeInterval(TimeInterval(maxTTL)),
            lastRenewalTime: nil, renewable: grant.renewable, ttl: ttl, revokeAttempts: 0, lastRevokeError: nil, irrevocable: false)
        try await transaction.putJSON(Self.leasePrefix + leaseID, entry)
        if let owner = batch ? token?.parent : token?.id {
            try await transaction.put(Self.tokenIndexKey(owner, leaseID), Array(leaseID.utf8))
        }
        let deadline = entry.expireTime
        transaction.afterCommit { [leaseExpiry] in leaseExpiry.schedule(leaseID, at: deadline) }
        return LeaseResponse(leaseID: leaseID, duration: ttl, renewable: grant.renewable)
    }

    public func lease(_ id: String) async throws -> LeaseEntry? {
        guard !id.isEmpty, !id.contains("..") else { return nil }
        return try await direct.getJSON(Self.leasePrefix + id, as: LeaseEntry.self)
    }

    private func leaseHooks(_ entry: LeaseEntry) -> (RouteTable.Route, SecretType)? {
        guard let route = routes.routes.first(where: { $0.mount.accessor == entry.mountAccessor }),
              let type = (route.backend as? any LeasingBackend)?.secretTypes[entry.secretType] else { return nil }
        return (route, type)
    }

    /// Only the token that created a lease, or root, may renew or revoke it.
    func checkLeaseOwner(_ entry: LeaseEntry, caller: TokenEntry?) throws {
        guard let caller else { throw TresorError.permissionDenied }
        if caller.isRoot || entry.tokenHash == caller.id { return }
        throw TresorError.permissionDenied
    }

    /// Extends a lease by `increment` seconds (its original TTL when 0), never past its max TTL.
    public func renewLease(_ id: String, increment: Int64, caller: TokenEntry?) async throws -> (LeaseEntry, [String]) {
        let key = Self.leasePrefix + id
        return try await withTransaction { tx in
            await tx.lock(key)
            guard var entry = try await tx.getJSON(key, as: LeaseEntry.self) else {
                throw TresorError.badRequest("lease not found")
            }
            try checkLeaseOwner(entry, caller: caller)
            let now = clock()
            guard entry.renewable, !entry.irrevocable, entry.expireTime > now else {
                throw TresorError.badRequest("lease is not renewable")
            }
            let wanted = increment > 0 ? increment : entry.ttl
            var warnings: [String] = []
            var newExpire = now.addingTimeInterval(TimeInterval(wanted))
            if newExpire > entry.maxExpireTime {
                newExpire = entry.maxExpireTime
                let allowed = max(0, SafeNumbers.seconds(until: entry.maxExpireTime.timeIntervalSince(now).rounded(.down)))
                warnings.append("TTL of \"\(GoFormat.duration(wanted))\" exceeded the effective max_ttl of \"\(GoFormat.duration(allowed))\"; TTL value is capped accordingly")
            }
            if let (route, type) = leaseHooks(entry), let renew = type.renew {
                try await renew(LeaseContext(lease: entry, storage: StorageView(tx, prefix: route.mount.storagePrefix),
                                             mount: route.mount, newExpireTime: newExpire.timeIntervalSince1970))
            }
            entry.expireTime = newExpire
            entry.lastRenewalTime = now
            try await tx.putJSON(key, entry)
            let deadline = newExpire
            tx.afterCommit { [leaseExpiry] in leaseExpiry.schedule(id, at: deadline) }
            return (entry, warnings)
        }
    }

    /// Revokes through the backend, then forgets the lease. A failed revocation keeps the lease,
    /// counts the attempt and retries later with backoff: a credential is never silently dropped.
    public func revokeLease(_ id: String, force: Bool = false) async throws {
        let key = Self.leasePrefix + id
        do {
            try await withTransaction { tx in
                await tx.lock(key)
                guard let entry = try await tx.getJSON(key, as: LeaseEntry.self) else { return }
                if !force, let (route, type) = leaseHooks(entry) {
                    try await type.revoke(LeaseContext(lease: entry, storage: StorageView(tx, prefix: route.mount.storagePrefix),
                                                       mount: route.mount, newExpireTime: nil))
                }
                try await tx.delete(key)
                if let owner = entry.tokenHash { try await tx.delete(Self.tokenIndexKey(owner, id)) }
                tx.afterCommit { [leaseExpiry] in leaseExpiry.cancel(id) }
            }
        } catch {
            try await recordFailedRevocation(id, error: error)
            throw TresorError.badRequest("failed to revoke lease \(id): \(error)")
        }
    }

    private func recordFailedRevocation(_ id: String, error: Error) async throws {
        let key = Self.leasePrefix + id
        try await withTransaction { tx in
            await tx.lock(key)
            guard var entry = try await tx.getJSON(key, as: LeaseEntry.self) else { return }
            entry.revokeAttempts += 1
            entry.lastRevokeError = (error as? TresorError)?.messages.first ?? "\(error)"
            if entry.revokeAttempts >= Self.irrevocableAfter { entry.irrevocable = true }
            try await tx.putJSON(key, entry)
            let retryAt = clock().addingTimeInterval(Self.revocationBackoff(attempts: entry.revokeAttempts))
            tx.afterCommit { [leaseExpiry] in leaseExpiry.schedule(id, at: retryAt) }
        }
        logger.warning("lease revocation failed; will retry", metadata: ["lease_id": "\(id)", "error": "\(error)"])
    }

    /// Seconds before the next try after `attempts` failed revocations: doubling, at most five minutes.
    static func revocationBackoff(attempts: Int) -> TimeInterval {
        min(300.0, pow(2.0, Double(attempts)))
    }

    /// Every lease id under a prefix (e.g. "database/creds/my-role/").
    public func leaseIDs(prefix: String) async throws -> [String] {
        try await direct.listRecursive(Self.leasePrefix + prefix).map { prefix + $0 }
    }

    public func revokeLeases(prefix: String, force: Bool) async throws {
        var failures: [String] = []
        for id in try await leaseIDs(prefix: prefix) {
            do {
                try await revokeLease(id, force: force)
            } catch {
                failures.append(id)
            }
        }
        if !failures.isEmpty {
            throw TresorError.badRequest("failed to revoke \(failures.count) lease(s) under \(prefix); they will be retried")
        }
    }

    /// The leases a token created, revoked with it.
    func revokeLeases(ownedBy token: TokenEntry, storage: Storage) async throws {
        for key in try await storage.list(Self.leaseTokenPrefix + token.id + "/") {
            guard let bytes = try await storage.get(Self.leaseTokenPrefix + token.id + "/" + key) else { continue }
            let id = String(decoding: bytes, as: UTF8.self)
            // Each lease in its own transaction: a database that is down leaves that lease to be
            // retried, it does not keep the token alive.
            try? await revokeLease(id)
            try await storage.delete(Self.leaseTokenPrefix + token.id + "/" + key)
        }
    }

    /// At unseal: arm a timer for every stored lease; those that expired while the server was
    /// down are due at once.
    func restoreLeases() async throws {
        for id in try await leaseIDs(prefix: "") {
            if let entry = try await lease(id) { leaseExpiry.schedule(id, at: entry.expireTime) }
        }
    }

    /// Drops index entries whose lease is gone.
    public func tidyLeases() async throws {
        try await withTransaction { tx in
            for key in try await tx.listRecursive(Self.leaseTokenPrefix) {
                guard let bytes = try await tx.get(Self.leaseTokenPrefix + key) else { continue }
                if try await tx.get(Self.leasePrefix + String(decoding: bytes, as: UTF8.self)) == nil {
                    try await tx.delete(Self.leaseTokenPrefix + key)
                }
            }
        }
    }
}

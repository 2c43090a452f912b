import Crypto
import Foundation

/// The expiration manager: every leased secret is stored under `sys/expire/id/`, indexed by the
/// token that created it and by its expiry time (`ExpiryIndex`), and revoked through its
/// backend when it expires, when it or its token is revoked, or when an operator revokes a
/// prefix. One window over the index drains every deadline (`Core+Expiry`).
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
        try await reserveLeaseQuota(leaseID: leaseID, role: nil, storage: transaction)
        try await transaction.putJSON(Self.leasePrefix + leaseID, entry)
        if let owner = batch ? token?.parent : token?.id {
            try await transaction.put(Self.tokenIndexKey(owner, leaseID), Array(leaseID.utf8))
        }
        let deadline = ExpiryDeadline(kind: .lease, id: leaseID, at: entry.expireTime)
        try await ExpiryIndex.add(deadline, to: transaction)
        transaction.afterCommit { [expiry] in expiry.scheduled(deadline) }
        return LeaseResponse(leaseID: leaseID, duration: ttl, renewable: grant.renewable)
    }

    /// The secret lease `id`; nil when unknown or when `id` names a token (see TokenLease).
    public func lease(_ id: String) async throws -> LeaseEntry? {
        guard case .secret(let entry) = try await storedLease(id) else { return nil }
        return entry
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
            let before = ExpiryDeadline(kind: .lease, id: id, at: entry.expireTime)
            let after = ExpiryDeadline(kind: .lease, id: id, at: newExpire)
            entry.expireTime = newExpire
            entry.lastRenewalTime = now
            try await tx.putJSON(key, entry)
            if before != after {
                try await ExpiryIndex.remove(before, from: tx)
                try await ExpiryIndex.add(after, to: tx)
                tx.afterCommit { [expiry] in
                    expiry.cancel(before)
                    expiry.scheduled(after)
                }
            }
            return (entry, warnings)
        }
    }

    /// Revokes through the backend, then forgets the lease. A failed revocation keeps the lease,
    /// counts the attempt and retries later with backoff: a credential is never silently dropped.
    public func revokeLease(_ id: String, force: Bool = false) async throws {
        let started = Telemetry.start()
        defer { Telemetry.record(Telemetry.expireRevoke, since: started) }
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
                if entry.irrevocable { try await tx.delete(Self.irrevocableKey(id)) }
                if let owner = entry.tokenHash { try await tx.delete(Self.tokenIndexKey(owner, id)) }
                let deadline = ExpiryDeadline(kind: .lease, id: id, at: entry.expireTime)
                try await ExpiryIndex.remove(deadline, from: tx)
                tx.afterCommit { [expiry, leaseQuotas] in
                    expiry.cancel(deadline)
                    leaseQuotas.released(leaseID: id, role: nil)
                }
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
            if entry.revokeAttempts >= Self.irrevocableAfter && !entry.irrevocable {
                entry.irrevocable = true
                try await tx.put(Self.irrevocableKey(id), Array(id.utf8))
            }
            try await tx.putJSON(key, entry)
            // The index entry stays at the lease's expiry (a restart retries at once); memory
            // holds the backed-off retry.
            let retryAt = clock().addingTimeInterval(Self.revocationBackoff(attempts: entry.revokeAttempts))
            let deadline = ExpiryDeadline(kind: .lease, id: id, at: entry.expireTime)
            tx.afterCommit { [expiry] in expiry.retry(deadline, at: retryAt) }
        }
        logger.warning("lease revocation failed; will retry", metadata: ["lease_id": "\(id)", "error": "\(error)"])
    }

    /// Seconds before the next try after `attempts` failed revocations: doubling, at most five minutes.
    static func revocationBackoff(attempts: Int) -> TimeInterval {
        min(300.0, pow(2.0, Double(attempts)))
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

import Foundation

/// Expiry from the index in storage: each turn of the maintenance loop tops up the window of
/// coming deadlines and revokes what is due, oldest first and at most `expiriesPerTurn` at a
/// time, so that a restart after a long outage revokes its backlog in the background at a
/// bounded rate instead of flooding the databases behind the leases.
extension Core {
    /// Revocations started per turn of the maintenance loop (every 200 ms: 1,000 a second).
    static let expiriesPerTurn = 200
    /// Revocations in flight at once; their commits share group commits.
    static let expiryConcurrency = 16

    /// One turn: refill the window from the index, then revoke what is due.
    func expireDue() async {
        let now = clock()
        do {
            try await refillExpiryWindow(now: now)
        } catch {
            logger.error("failed to read the expiry index", metadata: ["error": "\(error)"])
        }
        let due = expiry.due(at: now, limit: Self.expiriesPerTurn)
        guard !due.isEmpty else { return }
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for entry in due {
                if running >= Self.expiryConcurrency {
                    await group.next()
                    running -= 1
                }
                group.addTask { await self.expire(entry) }
                running += 1
            }
        }
    }

    func refillExpiryWindow(now: Date) async throws {
        try await expiry.refill(now: now) { after, limit in
            try await direct.list(ExpiryIndex.prefix, after: after, limit: limit)
        }
    }

    /// Revokes what `entry` indexes if its time has really come; an index entry that no longer
    /// matches (renewed, revoked meanwhile) is dropped.
    func expire(_ entry: ExpiryDeadline) async {
        switch entry.kind {
        case .token:
            do {
                try await withTransaction { tx in
                    await tx.lock(TokenStore.idPrefix + entry.id)
                    let token = try await tx.getJSON(TokenStore.idPrefix + entry.id, as: TokenEntry.self)
                    guard let token, let expireTime = token.expireTime,
                          ExpiryDeadline(kind: .token, id: entry.id, at: expireTime) == entry else {
                        try await ExpiryIndex.remove(entry, from: tx)
                        return
                    }
                    try await tokens.revokeTree(hash: entry.id, storage: tx)
                }
            } catch {
                logger.error("failed to revoke expired token", metadata: ["error": "\(error)"])
                expiry.retry(entry, at: clock().addingTimeInterval(5))
            }
        case .lease:
            do {
                let current = try await lease(entry.id)
                guard let current, ExpiryDeadline(kind: .lease, id: entry.id, at: current.expireTime) == entry else {
                    try await withTransaction { tx in try await ExpiryIndex.remove(entry, from: tx) }
                    return
                }
                // A failure is recorded and retried with backoff inside revokeLease.
                try await revokeLease(entry.id)
            } catch {
                logger.debug("expired lease not revoked yet", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Servers from before the expiry index: index every stored token and lease once, in
    /// batches, and give tokens their lease entries. A server made since has the marker from
    /// its first unseal.
    func buildExpiryIndexIfNeeded() async throws {
        if try await direct.get(ExpiryIndex.builtMarker) != nil { return }
        var pending: [(key: String, value: [UInt8])] = []
        func flush(atLeast: Int) async throws {
            guard pending.count >= max(1, atLeast) else { return }
            let batch = pending
            pending.removeAll()
            try await withTransaction { tx in
                for write in batch { try await tx.put(write.key, write.value) }
            }
        }
        try await forEachLeaf(under: TokenStore.idPrefix) { hash in
            guard let token = try await direct.getJSON(TokenStore.idPrefix + hash, as: TokenEntry.self) else { return }
            pending.append((TokenStore.leaseKey(token), TokenStore.leaseMarker(token)))
            if let expireTime = token.expireTime {
                pending.append((ExpiryDeadline(kind: .token, id: hash, at: expireTime).key, []))
            }
            try await flush(atLeast: 500)
        }
        try await forEachLeaf(under: Self.leasePrefix) { id in
            if case .secret(let lease) = try? await storedLease(id) {
                pending.append((ExpiryDeadline(kind: .lease, id: id, at: lease.expireTime).key, []))
                try await flush(atLeast: 500)
            }
        }
        try await flush(atLeast: 1)
        try await direct.put(ExpiryIndex.builtMarker, Array("1".utf8))
    }

    /// Visits every leaf under `prefix` (relative names), a page at a time.
    func forEachLeaf(under prefix: String, _ body: (String) async throws -> Void) async throws {
        var folders = [""]
        while let folder = folders.popLast() {
            var after: String?
            while true {
                let page = try await direct.list(prefix + folder, after: after, limit: 1000)
                for child in page {
                    if child.hasSuffix("/") { folders.append(folder + child) } else { try await body(folder + child) }
                }
                guard page.count == 1000, let last = page.last else { break }
                after = last
            }
        }
    }
}

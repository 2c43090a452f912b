import Foundation
import Synchronization

/// A `revoke-prefix` under way. It is stored before the first lease goes, and removed after
/// the last: a server killed halfway finds it at its next unseal and finishes the work.
struct RevocationJob: JSONDocument {
    var id: String
    var prefix: String
    var force: Bool
    var startTime: Date

    init(id: String, prefix: String, force: Bool, startTime: Date) {
        self.id = id
        self.prefix = prefix
        self.force = force
        self.startTime = startTime
    }

    init(storedJSON: JSONValue) throws {
        let stored = try StoredObject(storedJSON, of: Self.self)
        id = try stored.string("id")
        prefix = try stored.string("prefix")
        force = try stored.bool("force")
        startTime = try stored.date("startTime")
    }

    var storedJSON: JSONValue {
        .object(["id": .string(id), "prefix": .string(prefix), "force": .bool(force), "startTime": startTime.storedJSON])
    }
}

/// How far each revocation job of this run has got, for `sys/leases/count`.
final class RevocationProgress: Sendable {
    private let jobs = Mutex<[String: (prefix: String, revoked: Int)]>([:])

    func start(_ job: RevocationJob) { jobs.withLock { $0[job.id] = (job.prefix, 0) } }
    func add(_ job: RevocationJob, _ count: Int) { jobs.withLock { $0[job.id]?.revoked += count } }
    func finish(_ job: RevocationJob) { jobs.withLock { _ = $0.removeValue(forKey: job.id) } }
    var snapshot: [(prefix: String, revoked: Int)] { jobs.withLock { Array($0.values) } }
}

/// Revocation of everything under a prefix, a page at a time: tokens many to a transaction
/// (nothing outside Tresor to undo), secret leases each in a transaction of their own, several
/// at once (their commits share group commits), so a crash never leaves a credential revoked
/// outside with its lease still stored by more than the few in flight.
extension Core {
    static let revocationJobPrefix = "sys/expire/revoke-jobs/"
    /// Tokens revoked in one transaction. Small: a transaction's own listings merge its pending
    /// writes, so its cost grows with their square; group commit joins the small ones anyway.
    static let tokenRevocationBatch = 8
    /// Transactions of token revocations in flight at once.
    static let revocationConcurrency = 32
    /// Secret revocations in flight at once (they reach outside Tresor).
    static let secretRevocationConcurrency = 4

    public func revokeLeases(prefix: String, force: Bool) async throws {
        let job = RevocationJob(id: RandomUUID.string(), prefix: prefix, force: force, startTime: clock())
        try await direct.putJSON(Self.revocationJobPrefix + job.id, job)
        try await runRevocationJob(job)
    }

    /// Starts a revoke-prefix and returns at once (`sync=false`); progress shows in
    /// `sys/leases/count`.
    func revokeLeasesInBackground(prefix: String, force: Bool) async throws {
        let job = RevocationJob(id: RandomUUID.string(), prefix: prefix, force: force, startTime: clock())
        try await direct.putJSON(Self.revocationJobPrefix + job.id, job)
        Task { try? await self.runRevocationJob(job) }
    }

    /// At unseal of the active node: finishes the revocations a stop interrupted.
    func resumeRevocationJobs() async throws {
        for name in try await direct.list(Self.revocationJobPrefix) where !name.hasSuffix("/") {
            guard let job = try? await direct.getJSON(Self.revocationJobPrefix + name, as: RevocationJob.self) else { continue }
            logger.info("resuming an interrupted lease revocation", metadata: ["prefix": "\(job.prefix)"])
            Task {
                do {
                    try await self.runRevocationJob(job)
                } catch {
                    self.logger.warning("resumed lease revocation did not finish", metadata: ["prefix": "\(job.prefix)", "error": "\(error)"])
                }
            }
        }
    }

    func runRevocationJob(_ job: RevocationJob) async throws {
        revocationProgress.start(job)
        defer { revocationProgress.finish(job) }
        var failed = 0
        var folders = [""]
        while let folder = folders.popLast() {
            var after: String?
            while true {
                let page = try await direct.list(Self.leasePrefix + job.prefix + folder, after: after, limit: 1000)
                folders.append(contentsOf: page.filter { $0.hasSuffix("/") }.map { folder + $0 })
                let ids = page.filter { !$0.hasSuffix("/") }.map { job.prefix + folder + $0 }
                failed += try await revokeBatch(ids, job: job)
                guard page.count == 1000, let last = page.last else { break }
                after = last
            }
        }
        // Failed leases stay stored, flagged, and the expiry loop retries them.
        try await direct.delete(Self.revocationJobPrefix + job.id)
        if failed > 0 {
            throw TresorError.badRequest("failed to revoke \(failed) lease(s) under \(job.prefix); they will be retried")
        }
    }

    /// Revokes one page of lease ids; returns how many failed.
    private func revokeBatch(_ ids: [String], job: RevocationJob) async throws -> Int {
        var tokenHashes: [String] = []
        var secrets: [String] = []
        for id in ids {
            guard let bytes = try await direct.get(Self.leasePrefix + id) else { continue }
            if let hash = TokenStore.tokenHash(fromLeaseValue: bytes) { tokenHashes.append(hash) } else { secrets.append(id) }
        }
        let chunks = stride(from: 0, to: tokenHashes.count, by: Self.tokenRevocationBatch).map {
            Array(tokenHashes[$0..<min(tokenHashes.count, $0 + Self.tokenRevocationBatch)])
        }
        let failed = await inParallel(chunks, width: Self.revocationConcurrency) { await self.revokeTokens($0, job: job) }
        // Credentials in a database: a few at a time (concurrent REVOKEs on one table can make
        // PostgreSQL refuse one with "tuple concurrently updated"), and what failed once is
        // tried again alone before it counts as failed.
        var retry: [String] = []
        _ = await inParallel(secrets, width: Self.secretRevocationConcurrency) { id in
            (try? await self.revokeLease(id, force: job.force)) == nil ? 1 : 0
        }
        for id in secrets where try await direct.get(Self.leasePrefix + id) != nil { retry.append(id) }
        var failedSecrets = 0
        for id in retry {
            do {
                try await revokeLease(id, force: job.force)
            } catch {
                failedSecrets += 1
            }
        }
        revocationProgress.add(job, secrets.count - failedSecrets)
        return failed + failedSecrets
    }

    /// Runs `work` over `items`, at most `width` at once; sums what each returns.
    private func inParallel<T: Sendable>(_ items: [T], width: Int, _ work: @escaping @Sendable (T) async -> Int) async -> Int {
        await withTaskGroup(of: Int.self) { group in
            var total = 0
            var running = 0
            for item in items {
                if running >= width, let done = await group.next() {
                    total += done
                    running -= 1
                }
                group.addTask { await work(item) }
                running += 1
            }
            for await done in group { total += done }
            return total
        }
    }

    /// Revokes the token trees in one transaction; should that fail, each in its own, so one
    /// token whose revocation fails does not keep the others alive.
    private func revokeTokens(_ hashes: [String], job: RevocationJob) async -> Int {
        do {
            try await withTransaction { tx in
                for hash in hashes { try await tokens.revokeTree(hash: hash, storage: tx) }
            }
            revocationProgress.add(job, hashes.count)
            return 0
        } catch {
            var failed = 0
            for hash in hashes {
                do {
                    try await withTransaction { tx in try await tokens.revokeTree(hash: hash, storage: tx) }
                    revocationProgress.add(job, 1)
                } catch {
                    failed += 1
                }
            }
            return failed
        }
    }
}

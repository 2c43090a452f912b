import Foundation

/// An effect outside Tresor (a database role, a password changed on a database) that a request
/// causes before it commits. The record is written, durably, just before the effect, and
/// removed in the request's own commit. If the request ends in an error instead, the core hands
/// the record back to the backend's `rollback`; if the server dies first, the periodic sweep
/// does, after the restart. So an error answer means no effect, outside Tresor too.
struct RollbackEntry: Codable, Sendable, Equatable {
    static let prefix = "sys/rollback/"

    var id: String
    var mountAccessor: String
    var data: [String: String]
    /// Which run of the server wrote it: entries of an earlier run have no request left to finish.
    var boot: String
    var time: Date

    var key: String { Self.prefix + id }

    init(mountAccessor: String, data: [String: String], boot: String, time: Date = Date()) {
        self.id = RandomUUID.string()
        self.mountAccessor = mountAccessor
        self.data = data
        self.boot = boot
        self.time = time
    }
}

extension RequestContext {
    /// Call just before causing an effect outside Tresor. `data` is what the backend's
    /// `rollback` needs to undo it (it is stored through the barrier, so secrets may go in it).
    public func recordOutsideEffect(_ data: [String: String]) async throws {
        try await transaction.recordRollback(RollbackEntry(mountAccessor: mount.accessor, data: data, boot: transaction.boot))
    }
}

extension Core {
    /// A request of this run older than this is taken for lost, and its effects undone.
    static let rollbackGraceInterval: TimeInterval = 600

    /// Undoes the outside effects of a request that ended without committing.
    func rollBack(_ entries: [RollbackEntry]) async {
        for entry in entries {
            do {
                try await rollBack(entry)
            } catch {
                logger.error("rollback of an outside effect failed; the sweep will retry", metadata: [
                    "mount_accessor": "\(entry.mountAccessor)", "error": "\(error)"])
            }
        }
    }

    /// Rolls back what requests left behind: every entry of an earlier run of the server, and
    /// entries of this run whose request has been gone for `rollbackGraceInterval`.
    func sweepRollbacks(now: Date = Date()) async {
        guard let ids = try? await barrier.list(prefix: RollbackEntry.prefix) else { return }
        var due: [RollbackEntry] = []
        for id in ids where !id.hasSuffix("/") {
            guard let entry = try? await barrier.document(RollbackEntry.prefix + id, as: RollbackEntry.self) else { continue }
            if entry.boot != bootID || now.timeIntervalSince(entry.time) > Self.rollbackGraceInterval { due.append(entry) }
        }
        await rollBack(due)
    }

    private func rollBack(_ entry: RollbackEntry) async throws {
        try await withTransaction { tx in
            if let route = routes.routes.first(where: { $0.mount.accessor == entry.mountAccessor }) {
                try await route.backend.rollback(entry.data, storage: StorageView(tx, prefix: route.mount.storagePrefix))
            } else {
                logger.warning("dropping the rollback record of a mount that is gone", metadata: ["mount_accessor": "\(entry.mountAccessor)"])
            }
            try await tx.delete(entry.key)
        }
    }
}

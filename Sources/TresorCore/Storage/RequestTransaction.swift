import Synchronization

/// Buffers one request's writes so they commit together, after the response is known and
/// audited, or vanish if anything fails first. Reads see the request's own writes.
@_spi(Server) public final class RequestTransaction: Storage {
    private struct State {
        var pending: [StorageKey: [UInt8]?] = [:]   // nil value = delete
        var order: [StorageKey] = []
        var heldLocks: Set<StorageKey> = []
        var finished = false
        var afterCommit: [@Sendable () -> Void] = []
        var afterDiscard: [@Sendable () -> Void] = []
        /// Outside effects recorded for this request; their records go with its commit.
        var rollbacks: [RollbackEntry] = []
    }

    private let barrier: Barrier
    private let locks: KeyLockTable
    private let state = Mutex(State())
    /// The run of the server this transaction belongs to, for its rollback records.
    let boot: String

    public init(barrier: Barrier, locks: KeyLockTable, boot: String = "") {
        self.barrier = barrier
        self.locks = locks
        self.boot = boot
    }

    /// Writes the record now, outside the buffered writes: it must be on disk before the
    /// effect happens, whatever becomes of this request.
    func recordRollback(_ entry: RollbackEntry) async throws {
        try await barrier.put(entry.key, try JSONValue.encodeStored(entry))
        state.withLock { $0.rollbacks.append(entry) }
    }

    /// The records of a request that was discarded: their effects are to be undone.
    var pendingRollbacks: [RollbackEntry] { state.withLock { $0.rollbacks } }

    public func get(_ key: String) async throws -> [UInt8]? {
        if let buffered = state.withLock({ $0.pending[StorageKey(key)] }) {
            return buffered
        }
        return try await barrier.get(key)
    }

    public func document<T: Decodable & Sendable>(_ key: String, as type: T.Type) async throws -> T? {
        if let buffered = state.withLock({ $0.pending[StorageKey(key)] }) {
            return try buffered.map { try JSONValue.decodeStored(T.self, from: $0) }
        }
        return try await barrier.document(key, as: type)
    }

    public func put(_ key: String, _ value: [UInt8]) async throws {
        record(key, value)
    }

    public func delete(_ key: String) async throws {
        record(key, nil)
    }

    private func record(_ name: String, _ value: [UInt8]?) {
        let key = StorageKey(name)
        state.withLock { s in
            if s.pending.updateValue(value, forKey: key) == nil { s.order.append(key) }
        }
    }

    public func list(_ prefix: String) async throws -> [String] {
        let stored = try await barrier.list(prefix: prefix)
        let pending = state.withLock { $0.pending }
        if pending.isEmpty { return stored }
        var children = Set(stored.map(StorageKey.init))
        // Folders appear or vanish with the request's own writes.
        for (key, value) in pending where StorageKey.isBelow(key.string, prefix) {
            let child = StorageKey(childName(of: key.string, under: prefix))
            if value != nil {
                children.insert(child)
            } else if !child.string.hasSuffix("/") {
                children.remove(child)
            }
        }
        var result: [String] = []
        for child in children.map(\.string).sorted() {
            if child.hasSuffix("/") {
                // A folder whose every key this request deleted is gone.
                let stillThere = try await !listFolderIsEmpty(prefix + child, pending: pending)
                if stillThere { result.append(child) }
            } else {
                result.append(child)
            }
        }
        return result
    }

    public func list(_ prefix: String, after: String?, limit: Int?) async throws -> [String] {
        // Only the request's own writes below the folder need the merged listing.
        let touched = state.withLock { $0.pending.keys.contains { StorageKey.isBelow($0.string, prefix) } }
        if !touched { return try await barrier.list(prefix: prefix, after: after, limit: limit) }
        return ChildScan.page(try await list(prefix), after: after, limit: limit)
    }

    private func listFolderIsEmpty(_ folder: String, pending: [StorageKey: [UInt8]?]) async throws -> Bool {
        if pending.contains(where: { StorageKey.hasPrefix($0.key.string, folder) && $0.value != nil }) { return false }
        let deleted = Set(pending.filter { StorageKey.hasPrefix($0.key.string, folder) && $0.value == nil }.map(\.key))
        if deleted.isEmpty { return false }
        var stack = [folder]
        while let current = stack.popLast() {
            for child in try await barrier.list(prefix: current) {
                let full = current + child
                if child.hasSuffix("/") { stack.append(full) } else if !deleted.contains(StorageKey(full)) { return false }
            }
        }
        return true
    }

    public func lock(_ key: String) async {
        let already = state.withLock { !$0.heldLocks.insert(StorageKey(key)).inserted }
        if already { return }
        await locks.acquire(key)
    }

    /// Writes every buffered change in one atomic batch, then lets waiting requests in.
    public func commit() async throws {
        let ops: [StorageOperation] = state.withLock { s in
            s.finished = true
            // The effects stand once the request does: their records go in the same batch.
            return s.order.map { key in
                if let value = s.pending[key]! { return .put(key: key.string, value: value) }
                return .delete(key: key.string)
            } + s.rollbacks.map { .delete(key: $0.key) }
        }
        defer { releaseLocks() }
        if !ops.isEmpty {
            try await barrier.commit(ops)
        }
        state.withLock { $0.rollbacks = [] }
        for action in state.withLock({ $0.afterCommit }) { action() }
    }

    /// Runs `action` once the writes are durable: cache invalidation and in-memory table swaps
    /// must never run ahead of storage.
    public func afterCommit(_ action: @escaping @Sendable () -> Void) {
        state.withLock { $0.afterCommit.append(action) }
    }

    public func afterDiscard(_ action: @escaping @Sendable () -> Void) {
        state.withLock { $0.afterDiscard.append(action) }
    }

    /// Forgets every buffered change.
    public func discard() {
        let actions = state.withLock { s in
            s.pending = [:]
            s.order = []
            s.finished = true
            defer { s.afterDiscard = [] }
            return s.afterDiscard
        }
        releaseLocks()
        for action in actions { action() }
    }

    public var hasWrites: Bool { state.withLock { !$0.order.isEmpty } }

    private func releaseLocks() {
        let held = state.withLock { s -> Set<StorageKey> in
            let held = s.heldLocks
            s.heldLocks = []
            return held
        }
        for key in held { locks.release(key.string) }
    }
}

import Crypto
import Foundation
import Synchronization

/// Parameters for a new token, already validated by the caller.
@_spi(Server) public struct TokenParams: Sendable {
    public var id: String?
    public var policies: [String]?
    public var noDefaultPolicy = false
    public var meta: [String: String] = [:]
    public var displayName = ""
    public var ttl: Int64 = 0
    public var explicitMaxTTL: Int64 = 0
    public var period: Int64 = 0
    public var numUses: Int64 = 0
    public var renewable = true
    public var orphan = false
    public var path = "auth/token/create"
    /// Root tokens are named "root" rather than "token-…".
    public var exactDisplayName = false
    /// Set for tokens issued by an auth method's login: they have no parent and carry the
    /// method's policies and renewal data.
    public var login: LoginGrant?
    public var authMountAccessor: String?
    /// A response-wrapping token: parentless, its one policy `response-wrapping`.
    public var responseWrapping = false
    /// Set by a token role: its allowed policies bound the token instead of the parent's.
    var roleAuthorisesPolicies = false
    /// Set by a token role with a period: the operator who wrote the role allowed it.
    var roleGrantsPeriod = false
    /// From a token role's `token_bound_cidrs`.
    var boundCIDRs: [String] = []
    /// The token role the token is created through.
    var role: String?
    /// The identity entity of a login token; children inherit their parent's.
    var entityID: String?
    /// A batch token: sealed into its own ID, never stored.
    public var batch = false

    public init() {}
}

/// Tokens: creation, lookup, renewal and revocation of whole trees. Storage keys are salted
/// hashes of token IDs and accessors; the IDs themselves are never written anywhere.
@_spi(Server) public final class TokenStore: Sendable {
    static let idPrefix = "sys/token/id/"
    static let accessorPrefix = "sys/token/accessor/"
    static let parentPrefix = "sys/token/parent/"
    static let saltPath = "sys/token/salt"

    public let ttl: TTLDefaults

    private let barrier: Barrier
    private let crypto = Mutex<TokenCrypto?>(nil)
    /// Run for each revoked token inside the revoking transaction (cubbyhole, leases).
    private let revocationHooks = Mutex<[@Sendable (TokenEntry, Storage) async throws -> Void]>([])
    /// The deadlines of the coming window; the expiry index in storage holds them all.
    let expiry: ExpiryWindow

    init(barrier: Barrier, ttl: TTLDefaults, expiry: ExpiryWindow) {
        self.barrier = barrier
        self.ttl = ttl
        self.expiry = expiry
    }

    public func addRevocationHook(_ hook: @escaping @Sendable (TokenEntry, Storage) async throws -> Void) {
        revocationHooks.withLock { $0.append(hook) }
    }

    /// Asked before a token is made, inside the creating transaction (lease-count quotas);
    /// throwing refuses the token. Kept in a struct: a bare closure read through the Mutex's
    /// inout access gains a reabstraction thunk on every read, and calls got slower and memory
    /// grew with every token made.
    private struct Admission: Sendable {
        let check: @Sendable (TokenEntry, Storage) async throws -> Void
    }
    private let admission = Mutex<Admission?>(nil)

    func setAdmission(_ check: @escaping @Sendable (TokenEntry, Storage) async throws -> Void) {
        admission.withLock { $0 = Admission(check: check) }
    }

    /// Loads (or on first start creates) the salt. Expiry needs nothing read here: the index in
    /// storage holds every deadline, and the window reads the coming ones.
    func setup() async throws {
        var saltBytes = try await barrier.get(Self.saltPath)
        if saltBytes == nil {
            let fresh = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
            try await barrier.put(Self.saltPath, fresh)
            saltBytes = fresh
        }
        crypto.withLock { $0 = TokenCrypto(salt: SymmetricKey(data: saltBytes!)) }
    }

    /// Reads the salt without writing or scheduling anything: a standby checks a token this way.
    func loadSalt() async throws {
        guard crypto.withLock({ $0 }) == nil else { return }
        guard let bytes = try await barrier.get(Self.saltPath) else { throw TresorError.internalError("token salt missing from storage") }
        crypto.withLock { $0 = TokenCrypto(salt: SymmetricKey(data: bytes)) }
    }

    func hash(_ value: String) throws -> String {
        guard let crypto = crypto.withLock({ $0 }) else { throw TresorError.sealed }
        return crypto.hash(value)
    }

    private func batchSeal() throws -> BatchTokenSeal {
        guard let crypto = crypto.withLock({ $0 }) else { throw TresorError.sealed }
        return crypto.batch
    }

    // MARK: lookup

    /// The live entry for a token, or nil when unknown, expired or used up.
    public func lookup(token: String, storage: Storage, now: Date = Date()) async throws -> TokenEntry? {
        guard !token.isEmpty else { return nil }
        let started = Telemetry.start()
        defer { Telemetry.record(Telemetry.tokenLookup, since: started) }
        if token.hasPrefix(BatchTokenSeal.prefix) { return try await lookup(batch: token, storage: storage, now: now) }
        return try await lookup(hash: try hash(token), storage: storage, now: now)
    }

    /// A batch token's entry, opened from the token itself: live until its TTL ends, and only
    /// while its parent (if it has one) is.
    private func lookup(batch token: String, storage: Storage, now: Date) async throws -> TokenEntry? {
        guard var entry = try batchSeal().open(token), !entry.isExpired(at: now) else { return nil }
        if let parent = entry.parent, try await lookup(hash: parent, storage: storage, now: now) == nil { return nil }
        entry.id = try hash(token)
        return entry
    }

    public func lookup(hash: String, storage: Storage, now: Date = Date()) async throws -> TokenEntry? {
        guard let entry = try await storage.getJSON(Self.idPrefix + hash, as: TokenEntry.self) else { return nil }
        if entry.isExpired(at: now) || entry.numUses < 0 { return nil }
        return entry
    }

    public func lookup(accessor: String, storage: Storage) async throws -> TokenEntry? {
        guard let index = try await storage.getJSON(Self.accessorPrefix + hash(accessor), as: AccessorIndex.self) else {
            return nil
        }
        return try await lookup(hash: index.tokenHash, storage: storage)
    }

    struct AccessorIndex: Codable, Sendable {
        var accessor: String
        var tokenHash: String

        init(accessor: String, tokenHash: String) {
            self.accessor = accessor
            self.tokenHash = tokenHash
        }
    }

    public func listAccessors(storage: Storage) async throws -> [String] {
        var result: [String] = []
        for key in try await storage.list(Self.accessorPrefix) {
            if let index = try await storage.getJSON(Self.accessorPrefix + key, as: AccessorIndex.self) {
                result.append(index.accessor)
            }
        }
        return result.sorted()
    }

    // MARK: create

    /// Creates a token under `parent` (nil for the very first root token). Returns the token ID,
    /// which exists only in this answer.
    public func create(_ params: TokenParams, parent: TokenEntry?, storage: Storage, now: Date = Date()) async throws -> (String, TokenEntry) {
        let started = Telemetry.start()
        defer { Telemetry.record(Telemetry.tokenCreate, since: started) }
        // Only the very first root token has no parent, and it names its policies itself.
        let wrapping = params.responseWrapping && params.policies == [Core.wrappingPolicyName] && params.noDefaultPolicy
        guard parent != nil || params.policies == ["root"] || params.login != nil || wrapping else {
            throw TresorError.internalError("a token without a parent must be created as a root token")
        }
        // A login token has no parent but is no root's child: its privileges are the method's.
        let isLogin = params.login != nil
        let parentIsRoot = !isLogin && (parent?.isRoot ?? true)
        if let parent, parent.numUses != 0 {
            throw TresorError.badRequest("restricted use token cannot generate child tokens")
        }
        if parent?.type == "batch" { throw TresorError.badRequest("batch tokens cannot create more tokens") }
        if isLogin, (params.policies ?? []).contains(where: { PolicyParser.normalize($0) == "root" }) {
            throw TresorError.badRequest("auth methods cannot create root tokens")
        }
        if params.id != nil && !parentIsRoot {
            throw TresorError.badRequest("root or sudo privileges required to specify token id")
        }
        // Periodic login tokens come from the method's role (`token_period`), which an operator set.
        if params.period > 0 && !parentIsRoot && !isLogin && !params.roleGrantsPeriod {
            throw TresorError.badRequest("root or sudo privileges required to create periodic token")
        }
        var policies = (params.policies ?? parent?.policies ?? []).map(PolicyParser.normalize).filter { !$0.isEmpty }
        if params.policies != nil && !parentIsRoot && !params.roleAuthorisesPolicies, let parent {
            let allowed = Set(parent.policies)
            let extra = policies.filter { !allowed.contains($0) }
            if !extra.isEmpty {
                throw TresorError.badRequest("child policies must be subset of parent")
            }
        }
        if policies.contains("root") && !parentIsRoot {
            throw TresorError.badRequest("root tokens may not be created from a non-root token")
        }
        if policies.contains("root") && parent?.expireTime != nil && params.ttl == 0 && params.period == 0 && params.explicitMaxTTL == 0 {
            throw TresorError.badRequest("expiring root tokens cannot create non-expiring root tokens")
        }
        // A child gets `default` when its parent has it (root tokens count as having everything).
        let parentHasDefault = isLogin || parentIsRoot || params.roleAuthorisesPolicies || parent?.policies.contains("default") == true
        if !params.noDefaultPolicy && !policies.contains("root") && parentHasDefault { policies.append("default") }
        if params.noDefaultPolicy { policies.removeAll { $0 == "default" } }
        policies = Array(Set(policies)).sorted()

        let period = min(params.period, self.ttl.maxTTL)
        var ttl = period > 0 ? period : params.ttl
        if ttl == 0 && !policies.contains("root") { ttl = self.ttl.defaultTTL }
        if params.explicitMaxTTL > 0 && (ttl == 0 || ttl > params.explicitMaxTTL) { ttl = params.explicitMaxTTL }
        if ttl > self.ttl.maxTTL { ttl = self.ttl.maxTTL }

        if params.batch {
            let (token, entry) = try createBatch(params, policies: policies, ttl: ttl, parent: parent, now: now)
            try await admission.withLock({ $0 })?.check(entry, storage)
            return (token, entry)
        }
        let token = params.id ?? TokenCrypto.newToken()
        let tokenHash = try hash(token)
        if try await storage.get(Self.idPrefix + tokenHash) != nil {
            throw TresorError.badRequest("cannot create a token with a duplicate ID")
        }
        let accessor = TokenCrypto.newAccessor()
        let display = params.exactDisplayName ? params.displayName
            : params.displayName.isEmpty ? "token" : "token-" + params.displayName
        var entry = TokenEntry(
            id: tokenHash, accessor: accessor,
            parent: params.orphan ? nil : parent?.id,
            policies: policies, meta: params.meta, displayName: display, path: params.path,
            numUses: params.numUses, creationTime: now, creationTTL: ttl,
            explicitMaxTTL: params.explicitMaxTTL, period: period, renewable: params.renewable && ttl > 0,
            expireTime: ttl > 0 ? now.addingTimeInterval(TimeInterval(ttl)) : nil,
            issueTime: now, lastRenewalTime: nil,
            cubbyholeID: TokenCrypto.randomString(24), type: "service",
            authMountAccessor: params.authMountAccessor, loginData: params.login?.internalData,
            boundCIDRs: params.login?.boundCIDRs.isEmpty == false ? params.login?.boundCIDRs : params.boundCIDRs.isEmpty ? nil : params.boundCIDRs)
        entry.role = params.role
        entry.entityID = params.entityID ?? (params.orphan ? nil : parent?.entityID)
        try await admission.withLock({ $0 })?.check(entry, storage)
        try await storage.putJSON(Self.idPrefix + tokenHash, entry)
        try await storage.putJSON(Self.accessorPrefix + hash(accessor), AccessorIndex(accessor: accessor, tokenHash: tokenHash))
        if let parentID = entry.parent {
            try await storage.put(Self.parentPrefix + parentID + "/" + tokenHash, [])
        }
        try await storage.put(Self.leaseKey(entry), Self.leaseMarker(entry))
        if let expireTime = entry.expireTime {
            let deadline = ExpiryDeadline(kind: .token, id: tokenHash, at: expireTime)
            try await ExpiryIndex.add(deadline, to: storage)
            storage.afterCommit { [expiry] in expiry.scheduled(deadline) }
        }
        return (token, entry)
    }

    /// A batch token: the entry is sealed into the token and nothing is written.
    private func createBatch(_ params: TokenParams, policies: [String], ttl: Int64, parent: TokenEntry?, now: Date) throws -> (String, TokenEntry) {
        guard params.numUses == 0 else { throw TresorError.badRequest("batch tokens cannot have \"num_uses\" set") }
        guard params.period == 0 else { throw TresorError.badRequest("batch tokens cannot have \"period\" set") }
        guard !policies.contains("root") else { throw TresorError.badRequest("batch tokens cannot be root tokens") }
        guard params.id == nil else { throw TresorError.badRequest("batch tokens cannot have a custom ID") }
        guard ttl > 0 else { throw TresorError.badRequest("batch tokens must have a TTL") }
        let display = params.exactDisplayName ? params.displayName
            : params.displayName.isEmpty ? "token" : "token-" + params.displayName
        var entry = TokenEntry(
            id: "", accessor: "", parent: params.orphan ? nil : parent?.id,
            policies: policies, meta: params.meta, displayName: display, path: params.path,
            numUses: 0, creationTime: now, creationTTL: ttl, explicitMaxTTL: params.explicitMaxTTL, period: 0, renewable: false,
            expireTime: now.addingTimeInterval(TimeInterval(ttl)), issueTime: now, lastRenewalTime: nil,
            cubbyholeID: "", type: "batch", authMountAccessor: params.authMountAccessor, loginData: nil,
            boundCIDRs: params.login?.boundCIDRs.isEmpty == false ? params.login?.boundCIDRs : params.boundCIDRs.isEmpty ? nil : params.boundCIDRs)
        entry.role = params.role
        entry.entityID = params.entityID ?? (params.orphan ? nil : parent?.entityID)
        let token = try batchSeal().seal(entry)
        entry.id = try hash(token)
        return (token, entry)
    }

    // MARK: use counts

    /// Spends one use of a limited-use token. Returns the entry with the use taken, or nil if no
    /// use was left. An entry whose `numUses` is now -1 has just had its last use: the core
    /// revokes it once the request is done.
    public func spendUse(_ entry: TokenEntry, locks: KeyLockTable) async throws -> TokenEntry? {
        let key = Self.idPrefix + entry.id
        await locks.acquire(key)
        defer { locks.release(key) }
        guard var current = try? await barrier.document(key, as: TokenEntry.self),
              current.numUses > 0 else { return nil }
        current.numUses -= 1
        if current.numUses == 0 {
            // Spent: lookups fail from now on, and the core revokes it after this request.
            current.numUses = -1
        }
        try await barrier.put(key, try JSONValue.encodeStored(current))
        return current
    }

    // MARK: renew

    public func renew(_ stale: TokenEntry, increment: Int64, storage: Storage, now: Date = Date()) async throws -> TokenEntry {
        // Lock, then read again: a revocation or another renewal may have landed meanwhile.
        await storage.lock(Self.idPrefix + stale.id)
        guard let entry = try await lookup(hash: stale.id, storage: storage, now: now) else {
            throw TresorError.badRequest("token not found")
        }
        guard entry.renewable, entry.expireTime != nil else {
            throw TresorError.badRequest("lease is not renewable")
        }
        var updated = entry
        var ttl: Int64
        if entry.period > 0 {
            ttl = entry.period
        } else {
            ttl = increment > 0 ? increment : entry.creationTTL
            // The max TTL counts from the token's creation, not from this renewal.
            let maxLeft = Int64(entry.creationTime.addingTimeInterval(TimeInterval(self.ttl.maxTTL)).timeIntervalSince(now))
            ttl = min(ttl, maxLeft)
        }
        if entry.explicitMaxTTL > 0 {
            let explicitLeft = Int64(entry.creationTime.addingTimeInterval(TimeInterval(entry.explicitMaxTTL)).timeIntervalSince(now))
            ttl = min(ttl, explicitLeft)
        }
        ttl = max(ttl, 0)
        updated.expireTime = now.addingTimeInterval(TimeInterval(ttl))
        updated.lastRenewalTime = now
        try await storage.putJSON(Self.idPrefix + entry.id, updated)
        let before = entry.expireTime.map { ExpiryDeadline(kind: .token, id: entry.id, at: $0) }
        let after = ExpiryDeadline(kind: .token, id: entry.id, at: updated.expireTime!)
        if before != after {
            if let before { try await ExpiryIndex.remove(before, from: storage) }
            try await ExpiryIndex.add(after, to: storage)
            storage.afterCommit { [expiry] in
                if let before { expiry.cancel(before) }
                expiry.scheduled(after)
            }
        }
        return updated
    }

    // MARK: revoke

    /// Revokes a token and every token descended from it.
    public func revokeTree(hash root: String, storage: Storage) async throws {
        var stack = [root]
        var order: [String] = []
        while let current = stack.popLast() {
            order.append(current)
            for child in try await storage.list(Self.parentPrefix + current + "/") where !child.hasSuffix("/") {
                stack.append(child)
            }
        }
        // Children first, as Vault does, so a crash midway never leaves an orphaned subtree.
        // Each child's revocation removes its own parent link: nothing is left to list after.
        for hash in order.reversed() {
            try await revokeOne(hash: hash, storage: storage, childrenGone: true)
        }
    }

    /// Revokes a token; its children become orphans.
    public func revokeOrphan(hash: String, storage: Storage) async throws {
        for child in try await storage.list(Self.parentPrefix + hash + "/") where !child.hasSuffix("/") {
            await storage.lock(Self.idPrefix + child)
            if var entry = try await storage.getJSON(Self.idPrefix + child, as: TokenEntry.self) {
                entry.parent = nil
                try await storage.putJSON(Self.idPrefix + child, entry)
            }
        }
        try await revokeOne(hash: hash, storage: storage)
    }

    private func revokeOne(hash: String, storage: Storage, childrenGone: Bool = false) async throws {
        let started = Telemetry.start()
        defer {
            // A token is a lease too: Vault times its revocation under both names.
            Telemetry.record(Telemetry.tokenRevoke, since: started)
            Telemetry.record(Telemetry.expireRevoke, since: started)
        }
        // Held until commit, so a concurrent use count or renewal cannot write the token back.
        await storage.lock(Self.idPrefix + hash)
        guard let entry = try await storage.getJSON(Self.idPrefix + hash, as: TokenEntry.self) else { return }
        for hook in revocationHooks.withLock({ $0 }) {
            try await hook(entry, storage)
        }
        try await storage.delete(Self.idPrefix + hash)
        try await storage.delete(Self.leaseKey(entry))
        try await storage.delete(Self.accessorPrefix + self.hash(entry.accessor))
        if let parent = entry.parent {
            try await storage.delete(Self.parentPrefix + parent + "/" + hash)
        }
        if !childrenGone {
            for child in try await storage.list(Self.parentPrefix + hash + "/") where !child.hasSuffix("/") {
                try await storage.delete(Self.parentPrefix + hash + "/" + child)
            }
        }
        if let expireTime = entry.expireTime {
            let deadline = ExpiryDeadline(kind: .token, id: hash, at: expireTime)
            try await ExpiryIndex.remove(deadline, from: storage)
            storage.afterCommit { [expiry] in expiry.cancel(deadline) }
        }
    }

    /// Forgets the salt while sealed.
    func forgetSalt() {
        crypto.withLock { $0 = nil }
    }
}

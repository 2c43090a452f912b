import Crypto
import Foundation
import Synchronization

/// Encrypts every value on its way to physical storage with AES-256-GCM.
///
/// Layout of a stored value: term (4 bytes, big endian) · version (1) · nonce (12) · ciphertext · tag (16).
/// The storage key is the associated data, so a ciphertext copied under another key fails to open.
@_spi(Server) public final class Barrier: Sendable {
    static let version: UInt8 = 1
    static let keyringPath = "core/keyring"
    static let headerSize = 5

    public let physical: PhysicalBackend
    private let keyring = Mutex<Keyring?>(nil)
    /// Kept while unsealed so the keyring can be rewritten on rotation.
    private let rootKey = Mutex<SymmetricKey?>(nil)
    /// Encryptions under the active term not yet written into the stored keyring.
    private let unaccounted = Atomic<Int64>(0)

    /// AES-GCM with random 96-bit nonces stays within its collision bound for about 2^32
    /// messages per key; like Vault, the barrier moves to a new term after 3,865,470,566.
    public static let defaultMaxEncryptionsPerTerm: Int64 = 3_865_470_566
    let maxEncryptionsPerTerm: Int64
    /// The count is written into the keyring every this many encryptions, so a restart (or a
    /// crash) loses at most this many from the tally.
    let accountingInterval: Int64

    /// Values encrypted under the active term, stored count plus those since, as key-status reports.
    public var encryptionCount: Int64 {
        (currentKeyring?.active.encryptions ?? 0) + unaccounted.load(ordering: .relaxed)
    }

    /// Decrypted hot values; bounded, emptied on seal. Only the active node serves requests, and
    /// every write to storage passes through `commit` here, so invalidation sees them all.
    let cache: DocumentCache

    /// Vault's `cache_size` default: the number of values kept decrypted in memory.
    public static let defaultCacheSize = 131_072

    public init(physical: PhysicalBackend, cacheSize: Int = Barrier.defaultCacheSize,
                maxEncryptionsPerTerm: Int64 = Barrier.defaultMaxEncryptionsPerTerm, accountingInterval: Int64 = 4096) {
        self.physical = physical
        self.cache = DocumentCache(capacity: cacheSize)
        self.maxEncryptionsPerTerm = maxEncryptionsPerTerm
        self.accountingInterval = max(1, accountingInterval)
    }

    public var isSealed: Bool { keyring.withLock { $0 == nil } }

    public var currentKeyring: Keyring? { keyring.withLock { $0 } }

    /// Whether a keyring has ever been written, i.e. the server was initialised.
    public func isInitialized() async throws -> Bool {
        try await physical.get(Self.keyringPath) != nil
    }

    /// Creates the first keyring, sealed under `rootKey`, and opens the barrier with it.
    public func initialize(rootKey: SymmetricKey) async throws {
        let ring = Keyring()
        try await physical.put(Self.keyringPath, try Self.seal(try ring.serialized(), key: rootKey, term: 0, path: Self.keyringPath))
        keyring.withLock { $0 = ring }
        self.rootKey.withLock { $0 = rootKey }
    }

    /// Opens the barrier: the root key decrypts the keyring.
    /// The root key's bytes, for a rekey to wrap them anew; the caller zeroes them.
    func currentRootKeyBytes() throws -> [UInt8] {
        guard let key = rootKey.withLock({ $0 }) else { throw TresorError.sealed }
        return key.withUnsafeBytes { Array($0) }
    }

    public func unseal(rootKey: SymmetricKey) async throws {
        guard let blob = try await physical.get(Self.keyringPath) else {
            throw TresorError.badRequest("Vault is not initialized")
        }
        let plain = try Self.open(blob, path: Self.keyringPath) { _ in rootKey }
        let ring = try Keyring(serialized: plain)
        cache.removeAll()
        unaccounted.store(0, ordering: .relaxed)
        keyring.withLock { $0 = ring }
        self.rootKey.withLock { $0 = rootKey }
        // A term that reached its bound while the server was down rotates before new writes pile on.
        if ring.active.encryptions >= maxEncryptionsPerTerm { _ = try await accountEncryptions() }
    }

    /// Reads the keyring again from storage (another node may have rotated it) and drops every
    /// cached value: a node that becomes active trusts nothing it held as a standby.
    public func reloadKeyring() async throws {
        guard let rootKey = rootKey.withLock({ $0 }) else { throw TresorError.sealed }
        guard let blob = try await physical.get(Self.keyringPath) else { throw TresorError.internalError("keyring missing from storage") }
        let ring = try Keyring(serialized: try Self.open(blob, path: Self.keyringPath) { _ in rootKey })
        cache.removeAll()
        unaccounted.store(0, ordering: .relaxed)
        keyring.withLock { $0 = ring }
    }

    public func dropCache() { cache.removeAll() }

    public func seal() {
        keyring.withLock { $0 = nil }
        rootKey.withLock { $0 = nil }
        cache.removeAll()
    }

    private let rotation = KeyLockTable(shardCount: 1)

    /// Adds a new term; new writes use it, older values still open.
    public func rotate() async throws -> Keyring {
        _ = try await updateKeyring(forceRotation: true)
        guard let ring = currentKeyring else { throw TresorError.sealed }
        return ring
    }

    /// Writes the active term's encryption count into the stored keyring, and rotates to a new
    /// term once the count reaches the bound. Returns whether it rotated.
    @discardableResult
    public func accountEncryptions() async throws -> Bool {
        try await updateKeyring(forceRotation: false)
    }

    /// Charges the encryptions since the last write to the active term, rotates when asked or
    /// due, and stores the keyring. One update at a time, so two rotations cannot both claim
    /// the next term with different keys.
    private func updateKeyring(forceRotation: Bool) async throws -> Bool {
        await rotation.acquire("rotate")
        defer { rotation.release("rotate") }
        guard let ring = currentKeyring, let rootKey = rootKey.withLock({ $0 }) else { throw TresorError.sealed }
        let counted = unaccounted.exchange(0, ordering: .relaxed)
        var next = ring.counting(counted)
        let rotating = forceRotation || next.active.encryptions >= maxEncryptionsPerTerm
        if rotating { next = next.rotated() }
        guard counted > 0 || rotating else { return false }
        do {
            try await physical.put(Self.keyringPath, try Self.seal(try next.serialized(), key: rootKey, term: 0, path: Self.keyringPath))
        } catch {
            unaccounted.add(counted, ordering: .relaxed)
            throw error
        }
        keyring.withLock { $0 = next }
        return rotating
    }

    // MARK: values

    public func get(_ key: String) async throws -> [UInt8]? {
        let started = Telemetry.start()
        defer { Telemetry.record(Telemetry.barrierGet, since: started) }
        return try await entry(key).bytes
    }

    /// The stored document at `key`, decoded once and then served from the cache until it changes.
    public func document<T: Decodable & Sendable>(_ key: String, as type: T.Type) async throws -> T? {
        let started = Telemetry.start()
        defer { Telemetry.record(Telemetry.barrierGet, since: started) }
        let found = try await entry(key)
        guard let bytes = found.bytes else { return nil }
        if found.decodedType == ObjectIdentifier(T.self), let value = found.decoded as? T { return value }
        let value = try JSONValue.decodeStored(T.self, from: bytes)
        cache.attach(key, decoded: value, to: found)
        return value
    }

    private func entry(_ key: String) async throws -> DocumentCache.Entry {
        guard let ring = currentKeyring else { throw TresorError.sealed }
        let epoch: UInt64
        switch cache.lookup(key) {
        case .hit(let entry):
            Telemetry.cacheHit.increment()
            return entry
        case .miss(let since):
            Telemetry.cacheMiss.increment()
            epoch = since
        }
        var entry = DocumentCache.Entry()
        if let blob = try await physical.get(key) {
            entry.bytes = try Self.open(blob, path: key) { ring.terms[$0]?.key }
        }
        cache.fill(key, entry, epoch: epoch)
        return entry
    }

    /// The value at `key` read from storage itself, bypassing and leaving alone the cache: what
    /// a standby reads of the active's records. A term this node has not seen yet (the active
    /// rotated the keyring) makes it reload the keyring once.
    public func getFresh(_ key: String) async throws -> [UInt8]? {
        guard var ring = currentKeyring else { throw TresorError.sealed }
        guard let blob = try await physical.get(key) else { return nil }
        if blob.count >= 4 {
            let term = blob[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            if ring.terms[term] == nil {
                try await reloadKeyring()
                guard let reloaded = currentKeyring else { throw TresorError.sealed }
                ring = reloaded
            }
        }
        return try Self.open(blob, path: key) { ring.terms[$0]?.key }
    }

    public func list(prefix: String) async throws -> [String] {
        guard !isSealed else { throw TresorError.sealed }
        let started = Telemetry.start()
        defer { Telemetry.record(Telemetry.barrierList, since: started) }
        return try await physical.list(prefix: prefix)
    }

    /// How many keys start with `prefix` (keys are not encrypted, so the store counts them).
    public func count(prefix: String) async throws -> Int {
        guard !isSealed else { throw TresorError.sealed }
        return try await physical.count(prefix: prefix)
    }

    public func list(prefix: String, after: String?, limit: Int?) async throws -> [String] {
        guard !isSealed else { throw TresorError.sealed }
        let started = Telemetry.start()
        defer { Telemetry.record(Telemetry.barrierList, since: started) }
        return try await physical.list(prefix: prefix, after: after, limit: limit)
    }

    public func commit(_ operations: [StorageOperation]) async throws {
        guard let ring = currentKeyring else { throw TresorError.sealed }
        let active = ring.active
        var sealed: Int64 = 0
        let encrypted = try operations.map { op -> StorageOperation in
            switch op {
            case .put(let key, let value):
                sealed += 1
                return .put(key: key, value: try Self.seal(value, key: active.key, term: active.term, path: key))
            case .delete:
                return op
            }
        }
        if sealed > 0 {
            let before = unaccounted.add(sealed, ordering: .relaxed).oldValue
            if before / accountingInterval != (before + sealed) / accountingInterval
                || active.encryptions + before + sealed >= maxEncryptionsPerTerm {
                Task { [weak self] in try? await self?.accountEncryptions() }
            }
        }
        // Invalidate even when the commit fails: it may have reached storage before failing.
        defer { cache.invalidate(operations.lazy.map(\.key)) }
        let started = Telemetry.start()
        defer {
            // Each write waited for the whole commit: that is its time.
            for op in operations {
                if case .put = op { Telemetry.record(Telemetry.barrierPut, since: started) } else { Telemetry.record(Telemetry.barrierDelete, since: started) }
            }
        }
        try await physical.commit(encrypted)
    }

    public func put(_ key: String, _ value: [UInt8]) async throws {
        try await commit([.put(key: key, value: value)])
    }

    public func delete(_ key: String) async throws {
        try await commit([.delete(key: key)])
    }

    // MARK: sealing

    static func seal(_ plaintext: [UInt8], key: SymmetricKey, term: UInt32, path: String) throws -> [UInt8] {
        let box = try AES.GCM.seal(plaintext, using: key, authenticating: Array(path.utf8))
        var out: [UInt8] = []
        out.reserveCapacity(headerSize + 12 + plaintext.count + 16)
        withUnsafeBytes(of: term.bigEndian) { out.append(contentsOf: $0) }
        out.append(version)
        out.append(contentsOf: box.nonce)
        out.append(contentsOf: box.ciphertext)
        out.append(contentsOf: box.tag)
        return out
    }

    static func open(_ blob: [UInt8], path: String, keyFor: (UInt32) -> SymmetricKey?) throws -> [UInt8] {
        guard blob.count >= headerSize + 12 + 16 else {
            throw TresorError.internalError("stored value at \(path) is truncated")
        }
        let term = blob[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard blob[4] == version else {
            throw TresorError.internalError("stored value at \(path) has unknown version \(blob[4])")
        }
        guard let key = keyFor(term) else {
            throw TresorError.internalError("no key for term \(term)")
        }
        do {
            let box = try AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: blob[5..<17]),
                ciphertext: blob[17..<(blob.count - 16)],
                tag: blob[(blob.count - 16)...])
            return Array(try AES.GCM.open(box, using: key, authenticating: Array(path.utf8)))
        } catch {
            throw TresorError.internalError("stored value at \(path) failed authentication")
        }
    }
}

import Crypto
import Foundation

/// Initialising, unsealing and sealing. The unseal key (Shamir) or the auto seal protects the
/// root key; the root key protects the keyring; the keyring protects everything else.
extension Core {
    static let autoSealedRootKeyPath = "core/root-key-autoseal"
    static let recoveryKeyPath = "core/recovery-key"

    /// Creates the root key, the keyring and the root token. With Shamir the unseal key shares
    /// exist only in the answer; with an auto seal the answer carries recovery key shares and the
    /// server is left unsealed.
    public func initialize(shares: Int, threshold: Int, recoveryShares: Int = 5, recoveryThreshold: Int = 3,
                           rootTokenID: String? = nil) async throws -> InitResult {
        let claimed = initializing.withLock { busy -> Bool in
            if busy { return false }
            busy = true
            return true
        }
        guard claimed else { throw TresorError.badRequest("initialization is already in progress") }
        defer { initializing.withLock { $0 = false } }
        guard try await sealConfig() == nil else { throw TresorError.badRequest("Vault is already initialized") }
        let (n, t) = autoSeal == nil ? (shares, threshold) : (recoveryShares, recoveryThreshold)
        guard n >= 1, t >= 1, t <= n, n <= 255 else {
            throw TresorError.badRequest("invalid seal configuration: threshold must be between 1 and the number of shares (at most 255)")
        }
        if n > 1 && t == 1 {
            throw TresorError.badRequest("invalid seal configuration: threshold must be greater than one for multiple shares")
        }
        let rootKey = SymmetricKey(size: .bits256)
        var rootKeyBytes = rootKey.withUnsafeBytes { Array($0) }
        defer { rootKeyBytes.zeroize() }
        let keyShares: [[UInt8]]
        var recoveryKey: [UInt8]?
        if let autoSeal {
            let wrapped: [UInt8]
            do {
                wrapped = try await autoSeal.encrypt(rootKeyBytes)
            } catch {
                throw TresorError.badRequest("failed to seal the root key with the \(autoSeal.type) seal: \(error)")
            }
            try await physical.put(Self.autoSealedRootKeyPath, wrapped)
            let recovery = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
            recoveryKey = recovery
            keyShares = try Shamir.split(secret: recovery, shares: n, threshold: t)
        } else {
            let unsealKey = SymmetricKey(size: .bits256)
            var unsealKeyBytes = unsealKey.withUnsafeBytes { Array($0) }
            defer { unsealKeyBytes.zeroize() }
            keyShares = try Shamir.split(secret: unsealKeyBytes, shares: n, threshold: t)
            try await physical.put(Self.rootKeyPath, try Barrier.seal(rootKeyBytes, key: unsealKey, term: 0, path: Self.rootKeyPath))
        }
        try await barrier.initialize(rootKey: rootKey)
        if let recoveryKey {
            try await barrier.put(Self.recoveryKeyPath, recoveryKey)
        }
        try await setupAfterUnseal()
        var params = TokenParams()
        params.id = rootTokenID
        params.policies = ["root"]
        params.path = "auth/token/root"
        params.displayName = "root"
        params.exactDisplayName = true
        params.orphan = true
        let (rootToken, _) = try await tokens.create(params, parent: nil, storage: direct)
        // Written last: a crash before this point leaves the server uninitialised, not half-made.
        let config = SealConfig(type: autoSeal?.type ?? "shamir", secretShares: n, secretThreshold: t)
        try await physical.put(Self.sealConfigPath, try JSONValue.encodeStored(config))
        if autoSeal == nil {
            seal()
        } else if haLock != nil {
            // Left unsealed by the auto seal: it joins the cluster as any node does.
            await stepDown(reason: "initialised")
            await haStep()
        }
        return InitResult(keys: autoSeal == nil ? keyShares : [], recoveryKeys: autoSeal == nil ? [] : keyShares, rootToken: rootToken)
    }

    /// Adds one key share. Returns true once the server is unsealed.
    @discardableResult
    public func submitUnsealKey(_ share: [UInt8]) async throws -> Bool {
        guard let config = try await sealConfig() else { throw TresorError.badRequest("Vault is not initialized") }
        if !isSealed { return true }
        if autoSeal != nil {
            throw TresorError.badRequest("this server unseals with its \(config.type) seal; unseal keys do not apply")
        }
        var collected = unsealProgress.withLock { progress -> [[UInt8]] in
            if !progress.contains(share) { progress.append(share) }
            return progress
        }
        guard collected.count >= config.secretThreshold else { return false }
        unsealProgress.withLock { $0 = [] }
        // The shares and what they open are wiped once this attempt is over, however it ends.
        var unsealKey: [UInt8] = []
        var rootKeyBytes: [UInt8] = []
        defer {
            for index in collected.indices { collected[index].zeroize() }
            unsealKey.zeroize()
            rootKeyBytes.zeroize()
        }
        // Whatever was wrong (a bad share, too few good ones), say the same thing: which share
        // was bad is not ours to leak.
        let failure = TresorError.badRequest("Error unsealing: failed to decrypt keys from storage: cipher: message authentication failed")
        guard let combined = try? Shamir.combine(collected), combined.count == 32 else { throw failure }
        unsealKey = consume combined
        guard let blob = try await physical.get(Self.rootKeyPath) else {
            throw TresorError.internalError("root key missing from storage")
        }
        guard let opened = try? Barrier.open(blob, path: Self.rootKeyPath, keyFor: { [unsealKey] _ in SymmetricKey(data: unsealKey) }) else {
            throw failure
        }
        rootKeyBytes = consume opened
        try await barrier.unseal(rootKey: SymmetricKey(data: rootKeyBytes))
        try await afterUnseal()
        operatorSealed.withLock { $0 = false }
        return true
    }

    /// Unseals through the auto seal, as at start-up. Throws, saying why, when the seal service
    /// cannot be reached or refuses.
    public func autoUnseal() async throws {
        guard let autoSeal else { throw AutoSealError("no auto seal is configured") }
        guard isSealed else { return }
        guard try await sealConfig() != nil else { throw AutoSealError("server is not initialized yet") }
        guard let wrapped = try await physical.get(Self.autoSealedRootKeyPath) else {
            throw AutoSealError("storage holds no root key sealed by an auto seal (was it initialised with Shamir keys?)")
        }
        var rootKey = try await autoSeal.decrypt(wrapped)
        defer { rootKey.zeroize() }
        try await barrier.unseal(rootKey: SymmetricKey(data: rootKey))
        try await afterUnseal()
    }
}

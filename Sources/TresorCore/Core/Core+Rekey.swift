import Crypto
import Foundation

/// Rekey: a threshold of the current unseal key shares authorises a new unseal key, split into a
/// new number of shares with a new threshold. With `require_verification` the new key takes
/// effect only once a threshold of the new shares has been given back, proving they were
/// received. The root key stays the same; only its wrapping changes, with the seal
/// configuration, in one storage batch.
public struct Rekey: Sendable {
    var nonce: String
    var shares: Int
    var threshold: Int
    var requireVerification: Bool
    var collected: [[UInt8]] = []
    /// Set once the old shares were accepted and verification is pending.
    var pendingKey: [UInt8]?
    var verificationNonce = ""
    var verified: [[UInt8]] = []
}

extension Core {
    static let noRekey = TresorError.badRequest("no rekey in progress")

    private func requireShamir() async throws -> SealConfig {
        guard let config = try await sealConfig() else { throw TresorError.badRequest("Vault is not initialized") }
        guard autoSeal == nil else {
            throw TresorError.badRequest("this server has an auto seal; its recovery keys are rekeyed through sys/rekey-recovery-key, which Tresor does not offer yet")
        }
        return config
    }

    func rekeyStatus() async throws -> [String: JSONValue] {
        let config = try await requireShamir()
        let current = rekeyState.withLock { $0 }
        return [
            "started": .bool(current != nil), "nonce": .string(current?.nonce ?? ""),
            "t": .int(Int64(current?.threshold ?? 0)), "n": .int(Int64(current?.shares ?? 0)),
            "progress": .int(Int64(current?.collected.count ?? 0)), "required": .int(Int64(config.secretThreshold)),
            "pgp_fingerprints": .null, "backup": false, "verification_required": .bool(current?.requireVerification ?? false),
        ]
    }

    func startRekey(shares: Int, threshold: Int, requireVerification: Bool, pgpKeys: [String], backup: Bool) async throws -> [String: JSONValue] {
        _ = try await requireShamir()
        guard pgpKeys.isEmpty, !backup else { throw TresorError.badRequest("pgp_keys and backup are not supported") }
        guard (1...255).contains(shares) else { throw TresorError.badRequest("invalid number of shares: \(shares)") }
        guard threshold >= 1, threshold <= shares, shares == 1 || threshold >= 2 else {
            throw TresorError.badRequest("invalid threshold \(threshold) for \(shares) shares")
        }
        let started = rekeyState.withLock { state -> Bool in
            guard state == nil else { return false }
            state = Rekey(nonce: RandomUUID.string(), shares: shares, threshold: threshold, requireVerification: requireVerification)
            return true
        }
        guard started else { throw TresorError.badRequest("rekey already in progress") }
        return try await rekeyStatus()
    }

    /// A caller without a token must name the rekey (or its verification) it cancels.
    func requireRekeyNonce(_ nonce: String, verification: Bool = false) throws {
        guard let current = rekeyState.withLock({ $0 }) else { return }
        let expected = verification ? current.verificationNonce : current.nonce
        guard TokenCrypto.constantTimeEquals(expected, nonce) else {
            throw TresorError.badRequest("the nonce of the rekey is required to cancel it")
        }
    }

    func cancelRekey() {
        rekeyState.withLock { state in
            if var current = state {
                for index in current.collected.indices { current.collected[index].zeroize() }
                current.pendingKey?.zeroize()
            }
            state = nil
        }
    }

    /// One current share. At the threshold, the shares must open the root key; then the new key
    /// is made and split. Without verification it takes effect at once.
    func provideRekeyShare(_ share: [UInt8], nonce: String) async throws -> [String: JSONValue] {
        let config = try await requireShamir()
        let ready = try rekeyState.withLock { state throws(TresorError) -> Rekey? in
            guard var current = state else { throw Self.noRekey }
            guard current.pendingKey == nil else { throw TresorError.badRequest("the rekey awaits verification of the new shares") }
            guard TokenCrypto.constantTimeEquals(current.nonce, nonce) else { throw TresorError.badRequest("incorrect nonce") }
            if !current.collected.contains(share) { current.collected.append(share) }
            state = current
            return current.collected.count >= config.secretThreshold ? current : nil
        }
        guard var attempt = ready else { return try await rekeyStatus() }
        defer { for index in attempt.collected.indices { attempt.collected[index].zeroize() } }
        var rootKey = try await openRootKey(with: attempt.collected)
        defer { rootKey.zeroize() }

        var newKey = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let newShares = try Shamir.split(secret: newKey, shares: attempt.shares, threshold: attempt.threshold)
        var answer: [String: JSONValue] = [
            "complete": true, "nonce": .string(attempt.nonce), "backup": false, "pgp_fingerprints": .null,
            "keys": JSONValue(newShares.map(\.hexString)), "keys_base64": JSONValue(newShares.map { Data($0).base64EncodedString() }),
            "verification_required": .bool(attempt.requireVerification),
        ]
        if attempt.requireVerification {
            let verificationNonce = RandomUUID.string()
            rekeyState.withLock { state in
                state?.collected = []
                state?.pendingKey = newKey
                state?.verificationNonce = verificationNonce
            }
            answer["verification_nonce"] = .string(verificationNonce)
        } else {
            try await installUnsealKey(newKey, rootKey: rootKey, shares: attempt.shares, threshold: attempt.threshold, type: config.type)
            rekeyState.withLock { $0 = nil }
        }
        newKey.zeroize()
        return answer
    }

    func rekeyVerificationStatus() async throws -> [String: JSONValue] {
        _ = try await requireShamir()
        guard let current = rekeyState.withLock({ $0 }), current.pendingKey != nil else { throw TresorError.badRequest("no rekey verification in progress") }
        return ["started": true, "nonce": .string(current.verificationNonce), "t": .int(Int64(current.threshold)),
                "n": .int(Int64(current.shares)), "progress": .int(Int64(current.verified.count))]
    }

    /// Starts the verification over with a new nonce.
    func restartRekeyVerification() async throws -> [String: JSONValue] {
        let restarted = rekeyState.withLock { state -> Bool in
            guard state?.pendingKey != nil else { return false }
            state?.verified = []
            state?.verificationNonce = RandomUUID.string()
            return true
        }
        guard restarted else { throw TresorError.badRequest("no rekey verification in progress") }
        return try await rekeyVerificationStatus()
    }

    /// One new share given back. At the new threshold they must make up the new key, which then
    /// takes effect.
    func provideRekeyVerificationShare(_ share: [UInt8], nonce: String) async throws -> [String: JSONValue] {
        let config = try await requireShamir()
        let ready = try rekeyState.withLock { state throws(TresorError) -> Rekey? in
            guard var current = state, current.pendingKey != nil else { throw TresorError.badRequest("no rekey verification in progress") }
            guard TokenCrypto.constantTimeEquals(current.verificationNonce, nonce) else { throw TresorError.badRequest("incorrect nonce") }
            if !current.verified.contains(share) { current.verified.append(share) }
            state = current
            return current.verified.count >= current.threshold ? current : nil
        }
        guard let attempt = ready, var pending = attempt.pendingKey else { return try await rekeyVerificationStatus() }
        defer { pending.zeroize() }
        guard var combined = try? Shamir.combine(attempt.verified), combined == pending else {
            rekeyState.withLock { $0?.verified = [] }
            throw TresorError.badRequest("the given shares do not make up the new key; verification starts over")
        }
        combined.zeroize()
        // The root key is read again under the current key: the barrier holds it, unsealed.
        var rootKey = try barrier.currentRootKeyBytes()
        defer { rootKey.zeroize() }
        try await installUnsealKey(pending, rootKey: rootKey, shares: attempt.shares, threshold: attempt.threshold, type: config.type)
        rekeyState.withLock { $0 = nil }
        return ["complete": true, "nonce": .string(attempt.verificationNonce)]
    }

    private func openRootKey(with shares: [[UInt8]]) async throws -> [UInt8] {
        let failure = TresorError.badRequest("rekey failed: the key shares do not match this server's unseal key")
        guard var key = try? Shamir.combine(shares), key.count == 32 else { throw failure }
        defer { key.zeroize() }
        guard let blob = try await physical.get(Self.rootKeyPath),
              let opened = try? Barrier.open(blob, path: Self.rootKeyPath, keyFor: { [key] _ in SymmetricKey(data: key) }) else {
            rekeyState.withLock { $0?.collected = [] }
            throw failure
        }
        return opened
    }

    /// The root key wrapped by the new unseal key, with the new share counts, in one batch.
    private func installUnsealKey(_ key: [UInt8], rootKey: [UInt8], shares: Int, threshold: Int, type: String) async throws {
        let wrapped = try Barrier.seal(rootKey, key: SymmetricKey(data: key), term: 0, path: Self.rootKeyPath)
        let config = SealConfig(type: type, secretShares: shares, secretThreshold: threshold)
        try await physical.commit([.put(key: Self.rootKeyPath, value: wrapped), .put(key: Self.sealConfigPath, value: try JSONValue.encodeStored(config))])
        knownSealConfig.withLock { $0 = config }
    }
}

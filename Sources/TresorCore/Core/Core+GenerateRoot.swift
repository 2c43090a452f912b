import Crypto
import Foundation

/// Root-token generation: operators holding a threshold of unseal (or, with an auto seal,
/// recovery) key shares make a new root token, delivered XOR-ed with a one-time password only the
/// initiator holds. Served to authenticated callers with sudo (`sys/generate-root-token/*`, and
/// `sys/generate-root/*` for hvac and the bao CLI), never unauthenticated: a stranger cannot
/// start, feed or cancel an attempt (HCSEC-2026-08).
public struct RootGeneration: Sendable {
    var nonce: String
    var otp: String
    var shares: [[UInt8]] = []
}

extension Core {
    /// The length of a root token, and so of the one-time password: "hvs." and 24 characters.
    static let rootOTPLength = 28

    /// `attempt` GET: where an attempt stands.
    func rootGenerationStatus() async throws -> [String: JSONValue] {
        guard let config = try await sealConfig() else { throw TresorError.badRequest("Vault is not initialized") }
        let current = rootGeneration.withLock { $0 }
        var status: [String: JSONValue] = [
            "started": .bool(current != nil), "progress": .int(Int64(current?.shares.count ?? 0)),
            "required": .int(Int64(config.secretThreshold)), "complete": false, "otp": "", "otp_length": .int(Int64(Self.rootOTPLength)),
            "encoded_token": "", "encoded_root_token": "", "pgp_fingerprint": "",
        ]
        if let current { status["nonce"] = .string(current.nonce) }
        return status
    }

    /// `attempt` PUT: starts an attempt, with the caller's OTP or one made here (returned once).
    func startRootGeneration(otp given: String, pgpKey: String) async throws -> [String: JSONValue] {
        guard pgpKey.isEmpty else { throw TresorError.badRequest("pgp_key is not supported: give an otp, or none to get one") }
        guard given.isEmpty || given.count == Self.rootOTPLength else {
            throw TresorError.badRequest("OTP string is wrong length: want \(Self.rootOTPLength) characters")
        }
        let otp = given.isEmpty ? TokenCrypto.randomString(Self.rootOTPLength) : given
        guard otp.allSatisfy({ $0.isASCII }) else { throw TresorError.badRequest("OTP must be ASCII") }
        let started = rootGeneration.withLock { state -> Bool in
            guard state == nil else { return false }
            state = RootGeneration(nonce: RandomUUID.string(), otp: otp)
            return true
        }
        guard started else { throw TresorError.badRequest("root generation already in progress") }
        var status = try await rootGenerationStatus()
        if given.isEmpty { status["otp"] = .string(otp) }
        return status
    }

    /// A caller without a token must name the attempt it cancels.
    func requireRootGenerationNonce(_ nonce: String) throws {
        guard let current = rootGeneration.withLock({ $0 }) else { return }
        guard TokenCrypto.constantTimeEquals(current.nonce, nonce) else {
            throw TresorError.badRequest("the nonce of the attempt is required to cancel it")
        }
    }

    /// `attempt` DELETE.
    func cancelRootGeneration() {
        rootGeneration.withLock { state in
            if let current = state { for var share in current.shares { share.zeroize() } }
            state = nil
        }
    }

    /// `update`: one key share for the attempt named by `nonce`. At the threshold the shares must
    /// open the barrier's key (or match the recovery key); then a root token is made in the
    /// request's transaction and returned XOR-ed with the OTP.
    func provideRootGenerationShare(_ share: [UInt8], nonce: String, storage: Storage) async throws -> [String: JSONValue] {
        guard let config = try await sealConfig() else { throw TresorError.badRequest("Vault is not initialized") }
        let threshold = config.secretThreshold
        let outcome = try rootGeneration.withLock { state throws(TresorError) -> (collected: [[UInt8]], otp: String)? in
            guard var current = state else { throw TresorError.badRequest("no root generation in progress") }
            guard TokenCrypto.constantTimeEquals(current.nonce, nonce) else { throw TresorError.badRequest("incorrect nonce") }
            if !current.shares.contains(share) { current.shares.append(share) }
            if current.shares.count < threshold {
                state = current
                return nil
            }
            state = nil
            return (current.shares, current.otp)
        }
        guard var (collected, otp) = outcome else {
            var status = try await rootGenerationStatus()
            status["progress"] = .int(Int64(rootGeneration.withLock { $0?.shares.count ?? 0 }))
            return status
        }
        defer { for index in collected.indices { collected[index].zeroize() } }
        guard var combined = try? Shamir.combine(collected) else { throw TresorError.badRequest("failed to combine the key shares") }
        defer { combined.zeroize() }
        try await verifyCombinedKey(combined)

        var params = TokenParams()
        params.policies = ["root"]
        params.orphan = true
        params.path = "auth/token/root"
        params.displayName = "root"
        params.exactDisplayName = true
        let (token, _) = try await tokens.create(params, parent: nil, storage: storage)
        let encoded = Self.xorEncode(token, otp: otp)
        otp = ""
        return [
            "started": false, "progress": .int(Int64(threshold)), "required": .int(Int64(threshold)), "complete": true,
            "encoded_token": .string(encoded), "encoded_root_token": .string(encoded), "pgp_fingerprint": "",
            "otp": "", "otp_length": .int(Int64(Self.rootOTPLength)), "nonce": .string(nonce),
        ]
    }

    /// The shares must be the real thing: the unseal key opens the stored root key, or (with an
    /// auto seal) they make up the recovery key.
    func verifyCombinedKey(_ key: [UInt8]) async throws {
        let failure = TresorError.badRequest("root generation failed: the key shares do not match this server's keys")
        if autoSeal != nil {
            guard let recovery = try await barrier.get(Self.recoveryKeyPath),
                  recovery.count == key.count, safeCompare(recovery, key) else { throw failure }
            return
        }
        guard key.count == 32, let blob = try await physical.get(Self.rootKeyPath),
              var opened = try? Barrier.open(blob, path: Self.rootKeyPath, keyFor: { _ in SymmetricKey(data: key) }) else { throw failure }
        opened.zeroize()
    }

    /// Vault's encoding since 1.10: the token XOR the OTP, base64 without padding.
    static func xorEncode(_ token: String, otp: String) -> String {
        let mixed = zip(Array(token.utf8), Array(otp.utf8)).map { $0 ^ $1 }
        return Data(mixed).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    private func safeCompare(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}

import Crypto
import CryptoExtras
import ExtrasBase64
import Foundation
import TresorCore

/// The single-item operations behind encrypt, decrypt, rewrap, datakey and hmac; the paths
/// apply them to one request or to each item of a batch.
enum TransitData {
    static let missingContext = TresorError.badRequest("missing 'context' for key derivation; the key was created using a derived key, which means additional, per-request information must be included in order to perform operations with the key")

    /// Standard base64 with padding, strictly (as Go's decoder reads it); swift-extras-base64,
    /// because a batch decodes and encodes megabytes of it.
    static func decode(_ text: String?) throws(TresorError) -> [UInt8] {
        guard let text, !text.isEmpty else { return [] }
        do { return try Base64.decode(string: text) } catch { throw .badRequest("illegal base64 data at input byte 0") }
    }

    static func encode(_ bytes: [UInt8]) -> String { Base64.encodeToString(bytes: bytes) }

    /// `vault:v<N>:<payload>` → (N, payload).
    static func parseVersioned(_ text: String, what: String) throws(TresorError) -> (Int, String) {
        guard text.hasPrefix("vault:v") else { throw .badRequest("invalid \(what): no prefix") }
        let rest = text.dropFirst(7)
        guard let colon = rest.firstIndex(of: ":") else { throw .badRequest("invalid \(what): wrong number of fields") }
        guard let version = Int(rest[..<colon]) else { throw .badRequest("invalid \(what): version number could not be decoded") }
        return (version, String(rest[rest.index(after: colon)...]))
    }

    /// The key bytes a symmetric operation uses: the version's own, or derived from the context.
    static func symmetricKey(_ policy: TransitPolicy, _ entry: TransitKeyVersion, context: [UInt8], extra: Int = 0) throws(TresorError) -> [UInt8] {
        guard let key = entry.key else { throw .badRequest("no such key version") }
        guard policy.derived else { return key }
        guard !context.isEmpty else { throw missingContext }
        if policy.kdf == 1 { return TransitCrypto.hkdf(key, info: context, count: policy.type.symmetricKeySize + extra) }
        guard extra == 0 else { throw .internalError("could not derive key, length too small") }
        return Array(TransitCrypto.counterKDF(key, context: context).prefix(policy.type.symmetricKeySize))
    }

    static func encrypt(_ policy: TransitPolicy, plaintext: [UInt8], context: [UInt8], version requested: Int,
                        associatedData: [UInt8], nonces: TransitCrypto.Nonces? = nil) throws -> (String, Int) {
        guard policy.type.supportsEncryption else {
            throw TresorError.badRequest("message encryption not supported for key type \(policy.type.name)")
        }
        let (version, entry) = try policy.outputVersion(
            requested, negative: "requested version for encryption is negative",
            tooNew: "requested version for encryption is higher than the latest key version",
            tooOld: "requested version for encryption is less than the minimum encryption key version")
        let raw: [UInt8]
        if policy.type.isRSA {
            guard associatedData.isEmpty else {
                throw TresorError.badRequest("'[0].associated_data' provided for non-AEAD cipher suite \(policy.type.name)")
            }
            guard let pub = entry.rsaPublic else { throw TresorError.badRequest("no such key version") }
            let key = try _RSA.Encryption.PublicKey(n: pub.n, e: pub.e)
            guard plaintext.count <= key.keySizeInBits / 8 - 66 else {
                throw TresorError.badRequest("failed to RSA encrypt the plaintext: message too long for RSA public key size")
            }
            raw = Array(try key.encrypt(plaintext, padding: .PKCS1_OAEP_SHA256))
        } else if policy.convergentEncryption {
            let size = policy.type.symmetricKeySize
            let derived = try symmetricKey(policy, entry, context: context, extra: 32)
            let nonce = Array(TransitHash.sha2_256.hmac(key: Array(derived[size...]), plaintext).prefix(TransitCrypto.nonceSize))
            raw = try TransitCrypto.seal(policy.type, key: Array(derived[..<size]), nonce: nonce, plaintext: plaintext, associatedData: associatedData)
        } else {
            let key = try symmetricKey(policy, entry, context: context)
            raw = try TransitCrypto.seal(policy.type, key: key, nonce: nonces?.next(), plaintext: plaintext, associatedData: associatedData)
        }
        return ("vault:v\(version):" + encode(raw), version)
    }

    static func decrypt(_ policy: TransitPolicy, ciphertext: String, context: [UInt8], associatedData: [UInt8]) throws -> [UInt8] {
        guard policy.type.supportsEncryption else {
            throw TresorError.badRequest("message decryption not supported for key type \(policy.type.name)")
        }
        var (version, payload) = try parseVersioned(ciphertext, what: "ciphertext")
        if version == 0 { version = 1 }
        if version > policy.latestVersion { throw TresorError.badRequest("invalid ciphertext: version is too new") }
        if version < policy.minDecryptionVersion {
            throw TresorError.badRequest("ciphertext or signature version is disallowed by policy (too old)")
        }
        guard let data = try? Base64.decode(string: payload) else { throw TresorError.badRequest("invalid ciphertext: could not decode base64") }
        guard let entry = policy.versions[version] else { throw TresorError.badRequest("no such key version") }
        if policy.type.isRSA {
            guard associatedData.isEmpty else {
                throw TresorError.badRequest("'[0].associated_data' provided for non-AEAD cipher suite \(policy.type.name)")
            }
            guard let components = entry.rsaKey else {
                throw TresorError.badRequest("cannot decrypt ciphertext, key version does not have a private counterpart")
            }
            let key = try _RSA.Encryption.PrivateKey(n: components.n, e: components.e, d: components.d, p: components.p, q: components.q)
            do {
                return Array(try key.decrypt(Data(data), padding: .PKCS1_OAEP_SHA256))
            } catch {
                throw TresorError.badRequest("failed to RSA decrypt the ciphertext: decryption error")
            }
        }
        let key = try symmetricKey(policy, entry, context: context)
        return try TransitCrypto.open(policy.type, key: key, raw: data, associatedData: associatedData)
    }

    static func hmacKey(_ policy: TransitPolicy, _ entry: TransitKeyVersion) throws(TresorError) -> [UInt8] {
        guard let key = policy.type == .hmac ? entry.key : entry.hmacKey else {
            throw .badRequest("no HMAC key exists for that key version")
        }
        return key
    }
}

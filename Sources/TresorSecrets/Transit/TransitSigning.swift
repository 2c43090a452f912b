import Crypto
import CryptoExtras
import Foundation
import TresorCore

/// Signatures per key type. RSA-PSS uses a salt as long as the hash (what swift-crypto offers):
/// any verifier that detects the salt length, OpenBao's included, accepts those signatures.
enum TransitSigning {
    struct Options {
        var hash: TransitHash = .sha2_256
        var hashNone = false
        var prehashed = false
        var pkcs1v15 = false
        var jws = false
    }

    static func ed25519Key(_ policy: TransitPolicy, _ entry: TransitKeyVersion, context: [UInt8]) throws(TresorError) -> Curve25519.Signing.PrivateKey {
        guard let stored = entry.key, stored.count == 64 else {
            throw .badRequest("requested version for signing does not contain a private part")
        }
        var seed = Array(stored[..<32])
        if policy.derived {
            guard !context.isEmpty else { throw TransitData.missingContext }
            seed = TransitCrypto.hkdf(stored, info: context, count: 32)
        }
        do { return try Curve25519.Signing.PrivateKey(rawRepresentation: seed) } catch { throw .internalError("invalid ed25519 key") }
    }

    static func ed25519Public(_ policy: TransitPolicy, _ entry: TransitKeyVersion, context: [UInt8]) throws(TresorError) -> Curve25519.Signing.PublicKey {
        if policy.derived || entry.key != nil { return try ed25519Key(policy, entry, context: context).publicKey }
        guard let raw = Data(base64Encoded: entry.publicKey),
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { throw .badRequest("key version has no public key") }
        return key
    }

    static func digest(_ input: [UInt8], _ options: Options) -> [UInt8] {
        options.prehashed || options.hashNone ? input : options.hash.hash(input)
    }

    static func sign(_ policy: TransitPolicy, _ entry: TransitKeyVersion, input: [UInt8], context: [UInt8], _ options: Options) throws -> [UInt8] {
        switch policy.type {
        case .ed25519:
            return Array(try ed25519Key(policy, entry, context: context).signature(for: input))
        case .ecdsaP256, .ecdsaP384, .ecdsaP521:
            return try ECKeys.sign(entry, policy.type, digest: digest(input, options), jws: options.jws)
        case .rsa2048, .rsa3072, .rsa4096:
            guard let components = entry.rsaKey else { throw TresorError.internalError("requested version for signing does not contain a private part") }
            let key = try RSAKeys.privateKey(components)
            let padding: _RSA.Signing.Padding = options.pkcs1v15 ? .insecurePKCS1v1_5 : .PSS
            if options.prehashed { throw TresorError.badRequest("prehashed input is not supported for RSA keys on this server") }
            switch options.hash {
            case .sha1: return Array(try key.signature(for: Insecure.SHA1.hash(data: input), padding: padding).rawRepresentation)
            case .sha2_256: return Array(try key.signature(for: SHA256.hash(data: input), padding: padding).rawRepresentation)
            case .sha2_384: return Array(try key.signature(for: SHA384.hash(data: input), padding: padding).rawRepresentation)
            case .sha2_512: return Array(try key.signature(for: SHA512.hash(data: input), padding: padding).rawRepresentation)
            default: throw TresorError.badRequest("unsupported hash algorithm \(options.hash.rawValue) for RSA keys")
            }
        default:
            throw TresorError.badRequest("key type \(policy.type.name) does not support signing")
        }
    }

    static func verify(_ policy: TransitPolicy, _ entry: TransitKeyVersion, input: [UInt8], signature: [UInt8], context: [UInt8], _ options: Options) throws -> Bool {
        switch policy.type {
        case .ed25519:
            return try ed25519Public(policy, entry, context: context).isValidSignature(signature, for: input)
        case .ecdsaP256, .ecdsaP384, .ecdsaP521:
            return try ECKeys.verify(entry, policy.type, digest: digest(input, options), signature: signature, jws: options.jws)
        case .rsa2048, .rsa3072, .rsa4096:
            guard let pub = entry.rsaPublic else { return false }
            let key = try RSAKeys.publicKey(n: pub.n, e: pub.e)
            let padding: _RSA.Signing.Padding = options.pkcs1v15 ? .insecurePKCS1v1_5 : .PSS
            let sig = _RSA.Signing.RSASignature(rawRepresentation: signature)
            if options.prehashed { throw TresorError.badRequest("prehashed input is not supported for RSA keys on this server") }
            switch options.hash {
            case .sha1: return key.isValidSignature(sig, for: Insecure.SHA1.hash(data: input), padding: padding)
            case .sha2_256: return key.isValidSignature(sig, for: SHA256.hash(data: input), padding: padding)
            case .sha2_384: return key.isValidSignature(sig, for: SHA384.hash(data: input), padding: padding)
            case .sha2_512: return key.isValidSignature(sig, for: SHA512.hash(data: input), padding: padding)
            default: throw TresorError.badRequest("unsupported hash algorithm \(options.hash.rawValue) for RSA keys")
            }
        default:
            throw TresorError.badRequest("key type \(policy.type.name) does not support verification")
        }
    }
}

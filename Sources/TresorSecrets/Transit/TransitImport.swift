import Crypto
import CryptoExtras
import Foundation
import TresorCore

/// Turns imported key material into a key version: raw bytes for symmetric and HMAC keys,
/// PKCS#8 DER for private asymmetric keys, PEM for public ones.
enum TransitImport {
    static func privateVersion(_ base: TransitKeyVersion, material: [UInt8], type: TransitKeyType) throws -> TransitKeyVersion {
        var entry = base
        switch type {
        case .aes128GCM96, .aes256GCM96, .chacha20Poly1305:
            guard material.count == type.symmetricKeySize else {
                throw TresorError.badRequest("error importing key: invalid key size \(material.count) bytes for key type \(type.name)")
            }
            entry.key = material
        case .hmac:
            guard material.count >= 32 && material.count <= 512 else {
                throw TresorError.badRequest("error importing key: invalid key size \(material.count) bytes for key type hmac")
            }
            entry.key = material
        case .ed25519:
            guard let key = try? Curve25519.Signing.PrivateKey(derRepresentation: material) else {
                throw TresorError.badRequest("error importing key: failed to parse PKCS8 ed25519 key")
            }
            entry.key = Array(key.rawRepresentation) + Array(key.publicKey.rawRepresentation)
            entry.publicKey = Data(key.publicKey.rawRepresentation).base64EncodedString()
        case .ecdsaP256, .ecdsaP384, .ecdsaP521:
            let (d, xy, pem) = try ecdsa(material, type)
            entry.setECDSA(d: d, xy: xy, pem: pem)
        case .rsa2048, .rsa3072, .rsa4096:
            guard let key = try? _RSA.Signing.PrivateKey(derRepresentation: material) else {
                throw TresorError.badRequest("error importing key: failed to parse PKCS8 RSA key")
            }
            guard key.keySizeInBits == type.rsaBits else {
                throw TresorError.badRequest("error importing key: invalid key size: expected \(type.rsaBits / 8) bytes, got \(key.keySizeInBits / 8) bytes")
            }
            let components = try RSAKeys.components(of: key)
            entry.rsaKey = components
            entry.rsaPublic = (components.n, components.e)
        }
        return entry
    }

    private static func ecdsa(_ der: [UInt8], _ type: TransitKeyType) throws -> ([UInt8], [UInt8], String) {
        let mismatch = TresorError.badRequest("error importing key: invalid curve: expected \(type.publicKeyName)")
        switch type {
        case .ecdsaP256:
            guard let key = try? P256.Signing.PrivateKey(derRepresentation: der) else { throw mismatch }
            return (Array(key.rawRepresentation), Array(key.publicKey.rawRepresentation), key.publicKey.pemRepresentation)
        case .ecdsaP384:
            guard let key = try? P384.Signing.PrivateKey(derRepresentation: der) else { throw mismatch }
            return (Array(key.rawRepresentation), Array(key.publicKey.rawRepresentation), key.publicKey.pemRepresentation)
        default:
            guard let key = try? P521.Signing.PrivateKey(derRepresentation: der) else { throw mismatch }
            return (Array(key.rawRepresentation), Array(key.publicKey.rawRepresentation), key.publicKey.pemRepresentation)
        }
    }

    static func publicVersion(_ base: TransitKeyVersion, pem: String, type: TransitKeyType) throws -> TransitKeyVersion {
        var entry = base
        let invalid = TresorError.badRequest("error importing key: invalid public key for key type \(type.name)")
        switch type {
        case .ed25519:
            guard let key = try? Curve25519.Signing.PublicKey(pemRepresentation: pem) else { throw invalid }
            entry.publicKey = Data(key.rawRepresentation).base64EncodedString()
        case .ecdsaP256, .ecdsaP384, .ecdsaP521:
            let xy: [UInt8], canonical: String
            switch type {
            case .ecdsaP256:
                guard let key = try? P256.Signing.PublicKey(pemRepresentation: pem) else { throw invalid }
                (xy, canonical) = (Array(key.rawRepresentation), key.pemRepresentation)
            case .ecdsaP384:
                guard let key = try? P384.Signing.PublicKey(pemRepresentation: pem) else { throw invalid }
                (xy, canonical) = (Array(key.rawRepresentation), key.pemRepresentation)
            default:
                guard let key = try? P521.Signing.PublicKey(pemRepresentation: pem) else { throw invalid }
                (xy, canonical) = (Array(key.rawRepresentation), key.pemRepresentation)
            }
            entry.setECDSA(d: nil, xy: xy, pem: canonical)
        case .rsa2048, .rsa3072, .rsa4096:
            guard let key = try? _RSA.Signing.PublicKey(pemRepresentation: pem), key.keySizeInBits == type.rsaBits else { throw invalid }
            let primitives = try key.getKeyPrimitives()
            entry.rsaPublic = (Array(primitives.modulus.drop { $0 == 0 }), Array(primitives.publicExponent.drop { $0 == 0 }))
        default:
            throw TresorError.badRequest("provided type does not support public_key import")
        }
        return entry
    }

    static func samePublicKey(_ a: TransitKeyVersion, _ b: TransitKeyVersion, _ type: TransitKeyType) -> Bool {
        switch type {
        case .ed25519: return a.publicKey == b.publicKey
        case .ecdsaP256, .ecdsaP384, .ecdsaP521: return a.ecX == b.ecX && a.ecY == b.ecY
        case .rsa2048, .rsa3072, .rsa4096: return a.rsaPublic?.n == b.rsaPublic?.n && a.rsaPublic?.e == b.rsaPublic?.e
        default: return false
        }
    }
}

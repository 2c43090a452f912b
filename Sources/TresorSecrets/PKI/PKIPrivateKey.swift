import Crypto
import CryptoExtras
import Foundation
import SwiftASN1
import TresorCore
import X509

/// A CA or leaf key of one of the types Vault's PKI engine issues: RSA, NIST P-256/384/521 and
/// Ed25519, kept typed (X509's `Certificate.PrivateKey` cannot be unwrapped) so it can be
/// exported in the formats Vault answers with.
enum PKIPrivateKey: Sendable {
    case rsa(_RSA.Signing.PrivateKey)
    case p256(P256.Signing.PrivateKey)
    case p384(P384.Signing.PrivateKey)
    case p521(P521.Signing.PrivateKey)
    case ed25519(Curve25519.Signing.PrivateKey)

    /// Vault's `key_type` / `key_bits`: 0 bits means the type's default (RSA 2048, EC P-256).
    static func generate(type: String, bits: Int) throws(TresorError) -> PKIPrivateKey {
        let bits = try PKIKeyParameters.validate(type: type, bits: bits)
        switch (type, bits) {
        case ("rsa", _):
            do { return .rsa(try _RSA.Signing.PrivateKey(keySize: .init(bitCount: bits))) } catch {
                throw .internalError("error generating RSA key: \(error)")
            }
        case ("ec", 384): return .p384(randomScalar(48, mask: 0xff) { try P384.Signing.PrivateKey(rawRepresentation: $0) })
        case ("ec", 521): return .p521(randomScalar(66, mask: 0x01) { try P521.Signing.PrivateKey(rawRepresentation: $0) })
        case ("ec", _): return .p256(randomScalar(32, mask: 0xff) { try P256.Signing.PrivateKey(rawRepresentation: $0) })
        default: return .ed25519(Curve25519.Signing.PrivateKey())
        }
    }

    /// An EC key from a uniformly random scalar: random bytes of the curve's size, drawn again in
    /// the rare case BoringSSL refuses them as out of range (zero, or not below the group order).
    /// swift-crypto's own generator runs a FIPS pairwise test (a signature and its verification)
    /// and, by default, redraws keys until one is "compact representable": together three times
    /// the cost of the certificate's own signature, for properties a leaf key does not need.
    private static func randomScalar<Key>(_ size: Int, mask: UInt8, _ make: ([UInt8]) throws -> Key) -> Key {
        while true {
            var bytes = TransitCrypto.randomBytes(size)
            bytes[0] &= mask
            if let key = try? make(bytes) { return key }
        }
    }

    /// One PEM block: PKCS#1 `RSA PRIVATE KEY`, SEC1 `EC PRIVATE KEY` or PKCS#8 `PRIVATE KEY`.
    static func parse(pem: String) throws(TresorError) -> PKIPrivateKey {
        guard let document = PKIPEM.single(pem) else { throw .badRequest("provided key PEM block contained no data or failed to parse") }
        return try parse(document)
    }

    static func parse(_ document: PEMDocument) throws(TresorError) -> PKIPrivateKey {
        let pem = document.pemString
        switch document.discriminator {
        case "RSA PRIVATE KEY":
            guard let key = try? _RSA.Signing.PrivateKey(pemRepresentation: pem) else { throw .badRequest("error parsing RSA private key") }
            return .rsa(key)
        case "EC PRIVATE KEY", "PRIVATE KEY":
            if let key = try? P256.Signing.PrivateKey(pemRepresentation: pem) { return .p256(key) }
            if let key = try? P384.Signing.PrivateKey(pemRepresentation: pem) { return .p384(key) }
            if let key = try? P521.Signing.PrivateKey(pemRepresentation: pem) { return .p521(key) }
            if document.discriminator == "PRIVATE KEY" {
                if let key = try? _RSA.Signing.PrivateKey(pemRepresentation: pem) { return .rsa(key) }
                if let key = try? Curve25519.Signing.PrivateKey(pemRepresentation: pem) { return .ed25519(key) }
            }
            throw .badRequest("unsupported or malformed private key")
        default:
            throw .badRequest("unsupported private key type \(document.discriminator)")
        }
    }

    var typeName: String {
        switch self {
        case .rsa: "rsa"
        case .p256, .p384, .p521: "ec"
        case .ed25519: "ed25519"
        }
    }

    var bits: Int {
        switch self {
        case .rsa(let key): key.keySizeInBits
        case .p256: 256
        case .p384: 384
        case .p521: 521
        case .ed25519: 0
        }
    }

    var certificateKey: Certificate.PrivateKey {
        switch self {
        case .rsa(let key): Certificate.PrivateKey(key)
        case .p256(let key): Certificate.PrivateKey(key)
        case .p384(let key): Certificate.PrivateKey(key)
        case .p521(let key): Certificate.PrivateKey(key)
        case .ed25519(let key): Certificate.PrivateKey(key)
        }
    }

    var publicKey: Certificate.PublicKey { certificateKey.publicKey }

    /// The encoding Vault answers with by default: PKCS#1 for RSA, SEC1 for EC, PKCS#8 for Ed25519.
    var vaultDER: [UInt8] {
        get throws {
            switch self {
            case .rsa(let key): return [UInt8](key.derRepresentation)
            case .p256(let key): return try Self.sec1(key.rawRepresentation, key.publicKey.x963Representation, [1, 2, 840, 10045, 3, 1, 7])
            case .p384(let key): return try Self.sec1(key.rawRepresentation, key.publicKey.x963Representation, [1, 3, 132, 0, 34])
            case .p521(let key): return try Self.sec1(key.rawRepresentation, key.publicKey.x963Representation, [1, 3, 132, 0, 35])
            case .ed25519: return pkcs8DER
            }
        }
    }

    var vaultPEMLabel: String {
        switch self {
        case .rsa: "RSA PRIVATE KEY"
        case .p256, .p384, .p521: "EC PRIVATE KEY"
        case .ed25519: "PRIVATE KEY"
        }
    }

    var pkcs8DER: [UInt8] {
        switch self {
        case .rsa(let key): Self.der(fromPEM: key.pkcs8PEMRepresentation)
        case .p256(let key): [UInt8](key.derRepresentation)
        case .p384(let key): [UInt8](key.derRepresentation)
        case .p521(let key): [UInt8](key.derRepresentation)
        case .ed25519(let key): Self.der(fromPEM: key.pemRepresentation)
        }
    }

    /// `private_key` as Vault returns it for `format` and `private_key_format`.
    func encoded(format: PKIFormat, pkcs8: Bool) throws -> String {
        let der = pkcs8 ? pkcs8DER : try vaultDER
        switch format {
        case .der: return Data(der).base64EncodedString()
        case .pem, .pemBundle: return PEM.encode(pkcs8 ? "PRIVATE KEY" : vaultPEMLabel, Data(der))
        }
    }

    /// The PEM kept in storage (inside the barrier): the Vault default encoding.
    var storedPEM: String {
        get throws { PEM.encode(vaultPEMLabel, Data(try vaultDER)) }
    }

    private static func der(fromPEM pem: String) -> [UInt8] {
        (try? PEMDocument(pemString: pem)).map { $0.derBytes } ?? []
    }

    private static func sec1(_ d: Data, _ x963: Data, _ curve: ASN1ObjectIdentifier) throws -> [UInt8] {
        try SEC1PrivateKey.der([UInt8](d), [UInt8](x963), curve: curve)
    }
}

/// Vault's checks of `key_type` and `key_bits`, shared by roles, CA generation and key generation.
enum PKIKeyParameters {
    /// The bit length in force (0 becomes the type's default), or Vault's error.
    static func validate(type: String, bits: Int, allowAny: Bool = false) throws(TresorError) -> Int {
        switch type {
        case "rsa":
            let bits = bits == 0 ? 2048 : bits
            if bits < 2048 { throw .badRequest("RSA keys < 2048 bits are unsafe and not supported: got \(bits)") }
            guard [2048, 3072, 4096, 8192].contains(bits) else { throw .badRequest("unsupported bit length for RSA key: \(bits)") }
            return bits
        case "ec":
            let bits = bits == 0 ? 256 : bits
            if bits == 224 { throw .badRequest("unsupported bit length for EC key: 224 (P-224 keys are not supported by Tresor)") }
            guard [256, 384, 521].contains(bits) else { throw .badRequest("unsupported bit length for EC key: \(bits)") }
            return bits
        case "ed25519":
            return 0
        case "any" where allowAny:
            return 0
        default:
            throw .badRequest("unknown key type \(type)")
        }
    }

    /// The modulus size of a CSR's RSA key, read with swift-asn1 from its SubjectPublicKeyInfo;
    /// nil when the CSR does not hold an RSA key or does not parse that far.
    static func rsaModulusBits(csr der: [UInt8]) -> Int? {
        func children(_ node: ASN1Node) -> [ASN1Node] {
            guard case .constructed(let nodes) = node.content else { return [] }
            return Array(nodes)
        }
        guard let root = try? DER.parse(der), let info = children(root).first else { return nil }
        let infoItems = children(info)
        guard infoItems.count >= 3 else { return nil }
        let spki = children(infoItems[2])
        guard spki.count == 2, let algorithm = children(spki[0]).first,
              let oid = try? ASN1ObjectIdentifier(derEncoded: algorithm), oid == [1, 2, 840, 113549, 1, 1, 1],
              let bits = try? ASN1BitString(derEncoded: spki[1]), let key = try? DER.parse(bits.bytes),
              let modulusNode = children(key).first, let modulus = try? ArraySlice<UInt8>(derEncoded: modulusNode) else { return nil }
        let trimmed = modulus.drop { $0 == 0 }
        guard let first = trimmed.first else { return 0 }
        return (trimmed.count - 1) * 8 + (8 - first.leadingZeroBitCount)
    }

    /// The type and size of a public key, as roles and CSR checks see it.
    static func describe(_ key: Certificate.PublicKey) -> (type: String, bits: Int)? {
        if let rsa = _RSA.Signing.PublicKey(key) { return ("rsa", rsa.keySizeInBits) }
        if P256.Signing.PublicKey(key) != nil { return ("ec", 256) }
        if P384.Signing.PublicKey(key) != nil { return ("ec", 384) }
        if P521.Signing.PublicKey(key) != nil { return ("ec", 521) }
        if Curve25519.Signing.PublicKey(key) != nil { return ("ed25519", 0) }
        return nil
    }
}

/// The `format` request field.
enum PKIFormat: String, Sendable {
    case pem, der, pemBundle = "pem_bundle"

    static func parse(_ text: String) throws(TresorError) -> PKIFormat {
        guard let format = PKIFormat(rawValue: text.isEmpty ? "pem" : text) else {
            throw .badRequest("the \"format\" path parameter must be \"pem\", \"der\", or \"pem_bundle\"")
        }
        return format
    }
}

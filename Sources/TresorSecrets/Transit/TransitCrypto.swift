import Crypto
import CryptoExtras
import ExtrasBase64
import Foundation
import SwiftASN1
import TresorCore

/// Key generation and the per-type operations, all on swift-crypto.
enum TransitCrypto {
    static func randomBytes(_ count: Int) -> [UInt8] {
        SymmetricKey(size: .init(bitCount: count * 8)).withUnsafeBytes { Array($0) }
    }

    /// A fresh version of a key of `type`.
    static func newVersion(_ type: TransitKeyType, keySize: Int, convergent: Bool, now: Date) throws -> TransitKeyVersion {
        var entry = TransitKeyVersion(key: nil, hmacKey: randomBytes(32), time: GoFormat.time(now), publicKey: "",
                                      convergentVersion: convergent ? 3 : 0, creationTime: Int64(now.timeIntervalSince1970))
        switch type {
        case .aes128GCM96, .aes256GCM96, .chacha20Poly1305:
            entry.key = randomBytes(type.symmetricKeySize)
        case .hmac:
            entry.key = randomBytes(keySize)
            entry.hmacKey = entry.key
        case .ed25519:
            let key = Curve25519.Signing.PrivateKey()
            entry.key = Array(key.rawRepresentation) + Array(key.publicKey.rawRepresentation)
            entry.publicKey = Data(key.publicKey.rawRepresentation).base64EncodedString()
        case .ecdsaP256, .ecdsaP384, .ecdsaP521:
            let (d, xy, pem) = try ECKeys.generate(type)
            entry.setECDSA(d: d, xy: xy, pem: pem)
        case .rsa2048, .rsa3072, .rsa4096:
            let components = try RSAKeys.generate(bits: type.rsaBits)
            entry.rsaKey = components
            entry.rsaPublic = (components.n, components.e)
        }
        return entry
    }

    static func hkdf(_ secret: [UInt8], info: [UInt8], count: Int) -> [UInt8] {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: secret), info: info, outputByteCount: count)
            .withUnsafeBytes { Array($0) }
    }

    /// The legacy KDF (one round of NIST SP 800-108 counter mode with HMAC-SHA256), which
    /// OpenBao uses for imported derived keys: always 32 bytes.
    static func counterKDF(_ secret: [UInt8], context: [UInt8]) -> [UInt8] {
        let message: [UInt8] = [0, 0, 0, 0] + context + [0, 0, 1, 0]
        return Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
    }

    static let nonceSize = 12

    /// Random nonces drawn from one read of the random source per few hundred: a batch of a
    /// thousand encryptions would otherwise make a thousand getrandom calls. Each nonce is still
    /// 96 fresh random bits. Used by one request at a time.
    final class Nonces {
        private var pool: [UInt8] = []
        private var offset = 0
        private let batch: Int

        init(expected: Int) { batch = min(max(expected, 1), 256) * TransitCrypto.nonceSize }

        func next() -> [UInt8] {
            if offset + TransitCrypto.nonceSize > pool.count {
                pool = TransitCrypto.randomBytes(batch)
                offset = 0
            }
            defer { offset += TransitCrypto.nonceSize }
            return Array(pool[offset..<offset + TransitCrypto.nonceSize])
        }
    }

    /// `nonce ‖ ciphertext ‖ tag`, Vault's layout for AES-GCM and ChaCha20-Poly1305.
    static func seal(_ type: TransitKeyType, key: [UInt8], nonce: [UInt8]?, plaintext: [UInt8], associatedData: [UInt8]) throws -> [UInt8] {
        let symmetric = SymmetricKey(data: key)
        if type == .chacha20Poly1305 {
            let box = try ChaChaPoly.seal(plaintext, using: symmetric, nonce: try nonce.map { try ChaChaPoly.Nonce(data: $0) } ?? ChaChaPoly.Nonce(),
                                          authenticating: associatedData)
            return Array(box.combined)
        }
        let box = try AES.GCM.seal(plaintext, using: symmetric, nonce: try nonce.map { try AES.GCM.Nonce(data: $0) } ?? AES.GCM.Nonce(),
                                   authenticating: associatedData)
        guard let combined = box.combined else { throw TresorError.internalError("AES-GCM produced no combined form") }
        return Array(combined)
    }

    static func open(_ type: TransitKeyType, key: [UInt8], raw: [UInt8], associatedData: [UInt8]) throws(TresorError) -> [UInt8] {
        guard raw.count >= nonceSize + 16 else { throw .badRequest("invalid ciphertext length") }
        let symmetric = SymmetricKey(data: key)
        do {
            if type == .chacha20Poly1305 {
                return Array(try ChaChaPoly.open(ChaChaPoly.SealedBox(combined: raw), using: symmetric, authenticating: associatedData))
            }
            return Array(try AES.GCM.open(AES.GCM.SealedBox(combined: raw), using: symmetric, authenticating: associatedData))
        } catch {
            throw .badRequest(type == .chacha20Poly1305 ? "chacha20poly1305: message authentication failed" : "cipher: message authentication failed")
        }
    }
}

/// ECDSA keys across the three curves.
enum ECKeys {
    /// (private scalar, x ‖ y, public PEM) of a new key.
    static func generate(_ type: TransitKeyType) throws -> ([UInt8], [UInt8], String) {
        switch type {
        case .ecdsaP256:
            let key = P256.Signing.PrivateKey()
            return (Array(key.rawRepresentation), Array(key.publicKey.rawRepresentation), key.publicKey.pemRepresentation)
        case .ecdsaP384:
            let key = P384.Signing.PrivateKey()
            return (Array(key.rawRepresentation), Array(key.publicKey.rawRepresentation), key.publicKey.pemRepresentation)
        default:
            let key = P521.Signing.PrivateKey()
            return (Array(key.rawRepresentation), Array(key.publicKey.rawRepresentation), key.publicKey.pemRepresentation)
        }
    }

    static func coordinates(_ entry: TransitKeyVersion, _ type: TransitKeyType) throws(TresorError) -> [UInt8] {
        let size = type.ecdsaCoordinateSize
        guard let x = entry.ecX.flatMap({ BigDecimal.padded($0, to: size) }), let y = entry.ecY.flatMap({ BigDecimal.padded($0, to: size) }) else {
            throw .badRequest("key version has no public key")
        }
        return x + y
    }

    static func scalar(_ entry: TransitKeyVersion, _ type: TransitKeyType) throws(TresorError) -> [UInt8] {
        guard let d = entry.ecD.flatMap({ BigDecimal.padded($0, to: type.ecdsaCoordinateSize) }) else {
            throw .badRequest("requested version for signing does not contain a private part")
        }
        return d
    }

    /// Signs a digest; DER, or r ‖ s for JWS.
    static func sign(_ entry: TransitKeyVersion, _ type: TransitKeyType, digest: [UInt8], jws: Bool) throws -> [UInt8] {
        let d = try scalar(entry, type), message = PrecomputedDigest(bytes: digest)
        switch type {
        case .ecdsaP256:
            let signature = try P256.Signing.PrivateKey(rawRepresentation: d).signature(for: message)
            return Array(jws ? signature.rawRepresentation : signature.derRepresentation)
        case .ecdsaP384:
            let signature = try P384.Signing.PrivateKey(rawRepresentation: d).signature(for: message)
            return Array(jws ? signature.rawRepresentation : signature.derRepresentation)
        default:
            let signature = try P521.Signing.PrivateKey(rawRepresentation: d).signature(for: message)
            return Array(jws ? signature.rawRepresentation : signature.derRepresentation)
        }
    }

    static func verify(_ entry: TransitKeyVersion, _ type: TransitKeyType, digest: [UInt8], signature: [UInt8], jws: Bool) throws -> Bool {
        let xy = try coordinates(entry, type), message = PrecomputedDigest(bytes: digest)
        func parse<S>(_ raw: (Data) throws -> S, _ der: (Data) throws -> S) throws(TresorError) -> S {
            do { return jws ? try raw(Data(signature)) : try der(Data(signature)) } catch { throw .badRequest("supplied signature is invalid") }
        }
        switch type {
        case .ecdsaP256:
            let sig = try parse(P256.Signing.ECDSASignature.init(rawRepresentation:), P256.Signing.ECDSASignature.init(derRepresentation:))
            return try P256.Signing.PublicKey(rawRepresentation: xy).isValidSignature(sig, for: message)
        case .ecdsaP384:
            let sig = try parse(P384.Signing.ECDSASignature.init(rawRepresentation:), P384.Signing.ECDSASignature.init(derRepresentation:))
            return try P384.Signing.PublicKey(rawRepresentation: xy).isValidSignature(sig, for: message)
        default:
            let sig = try parse(P521.Signing.ECDSASignature.init(rawRepresentation:), P521.Signing.ECDSASignature.init(derRepresentation:))
            return try P521.Signing.PublicKey(rawRepresentation: xy).isValidSignature(sig, for: message)
        }
    }

    /// PEM forms for export: SEC1 private key, PKCS#8 private key, PKIX public key, and DERs.
    struct Encodings {
        var sec1PEM: String?
        var pkcs8DER: Data?
        var pkcs8PEM: String?
        var publicPEM: String
        var publicDER: Data
    }

    static func encodings(_ entry: TransitKeyVersion, _ type: TransitKeyType) throws -> Encodings {
        let xy = try coordinates(entry, type)
        let d = entry.ecD == nil ? nil : try scalar(entry, type)
        switch type {
        case .ecdsaP256:
            let pub = try P256.Signing.PublicKey(rawRepresentation: xy)
            let key = try d.map { try P256.Signing.PrivateKey(rawRepresentation: $0) }
            return Encodings(sec1PEM: try key.map { PEM.encode("EC PRIVATE KEY", try sec1(Array($0.rawRepresentation), Array(pub.x963Representation), type)) },
                             pkcs8DER: key?.derRepresentation, pkcs8PEM: key?.pemRepresentation,
                             publicPEM: pub.pemRepresentation, publicDER: pub.derRepresentation)
        case .ecdsaP384:
            let pub = try P384.Signing.PublicKey(rawRepresentation: xy)
            let key = try d.map { try P384.Signing.PrivateKey(rawRepresentation: $0) }
            return Encodings(sec1PEM: try key.map { PEM.encode("EC PRIVATE KEY", try sec1(Array($0.rawRepresentation), Array(pub.x963Representation), type)) },
                             pkcs8DER: key?.derRepresentation, pkcs8PEM: key?.pemRepresentation,
                             publicPEM: pub.pemRepresentation, publicDER: pub.derRepresentation)
        default:
            let pub = try P521.Signing.PublicKey(rawRepresentation: xy)
            let key = try d.map { try P521.Signing.PrivateKey(rawRepresentation: $0) }
            return Encodings(sec1PEM: try key.map { PEM.encode("EC PRIVATE KEY", try sec1(Array($0.rawRepresentation), Array(pub.x963Representation), type)) },
                             pkcs8DER: key?.derRepresentation, pkcs8PEM: key?.pemRepresentation,
                             publicPEM: pub.pemRepresentation, publicDER: pub.derRepresentation)
        }
    }

    static func sec1(_ d: [UInt8], _ x963: [UInt8], _ type: TransitKeyType) throws -> Data {
        let curve: ASN1ObjectIdentifier = switch type {
        case .ecdsaP256: [1, 2, 840, 10045, 3, 1, 7]
        case .ecdsaP384: [1, 3, 132, 0, 34]
        default: [1, 3, 132, 0, 35]
        }
        return Data(try SEC1PrivateKey.der(d, x963, curve: curve))
    }
}

/// PEM armour (RFC 7468): 64-column base64 between labelled lines.
enum PEM {
    static func encode(_ label: String, _ der: Data) -> String { encode(label, [UInt8](der)) }

    /// Written byte by byte: this runs for every certificate issued, and Foundation's line-wrapping
    /// base64 and swift-asn1's `pemString` both cost more than signing the certificate.
    static func encode(_ label: String, _ der: [UInt8]) -> String {
        let base64 = Array(Base64.encodeToString(bytes: der).utf8)
        var out: [UInt8] = []
        out.reserveCapacity(base64.count + base64.count / 64 + 2 * label.utf8.count + 40)
        out += Array("-----BEGIN \(label)-----\n".utf8)
        var index = 0
        while index < base64.count {
            let end = min(index + 64, base64.count)
            out += base64[index..<end]
            out.append(0x0a)
            index = end
        }
        out += Array("-----END \(label)-----".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ pem: String) -> Data? {
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        return Data(base64Encoded: body)
    }
}

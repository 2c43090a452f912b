import Crypto
import _CryptoExtras
import ExtrasBase64
import Foundation
import JWTKit
import TresorJSON

/// The signing algorithms of identity tokens, named as Vault names them.
enum OIDCAlgorithm: String, Codable, Sendable, CaseIterable {
    case rs256 = "RS256", rs384 = "RS384", rs512 = "RS512"
    case es256 = "ES256", es384 = "ES384", es512 = "ES512"
    case edDSA = "EdDSA"
}

/// One generated key pair of a named key. The private half stays under the barrier; the public
/// half is published in the JWKS for as long as tokens it signed may still be presented.
struct OIDCSigningKey: Codable, Sendable {
    var kid: String
    var algorithm: OIDCAlgorithm
    /// PEM for RSA and ECDSA; the raw 32-byte seed in base64 for Ed25519.
    var privateKey: String

    static func generate(_ algorithm: OIDCAlgorithm) throws -> OIDCSigningKey {
        let pem: String
        switch algorithm {
        case .rs256, .rs384, .rs512: pem = try _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation
        case .es256: pem = P256.Signing.PrivateKey().pemRepresentation
        case .es384: pem = P384.Signing.PrivateKey().pemRepresentation
        case .es512: pem = P521.Signing.PrivateKey().pemRepresentation
        case .edDSA: pem = Curve25519.Signing.PrivateKey().rawRepresentation.base64EncodedString()
        }
        return OIDCSigningKey(kid: RandomUUID.string(), algorithm: algorithm, privateKey: pem)
    }

    /// The public half, to publish until `expireAt` (nil: while the key signs or is next to).
    func publicKey(expireAt: Date? = nil) throws -> OIDCPublicKey {
        let material: String
        switch algorithm {
        case .rs256, .rs384, .rs512: material = try _RSA.Signing.PrivateKey(pemRepresentation: privateKey).publicKey.pemRepresentation
        case .es256: material = try P256.Signing.PrivateKey(pemRepresentation: privateKey).publicKey.pemRepresentation
        case .es384: material = try P384.Signing.PrivateKey(pemRepresentation: privateKey).publicKey.pemRepresentation
        case .es512: material = try P521.Signing.PrivateKey(pemRepresentation: privateKey).publicKey.pemRepresentation
        case .edDSA:
            material = try Curve25519.Signing.PrivateKey(rawRepresentation: Self.raw(privateKey)).publicKey.rawRepresentation.base64EncodedString()
        }
        return OIDCPublicKey(kid: kid, algorithm: algorithm, publicKey: material, expireAt: expireAt)
    }

    /// The private key parsed, as jwt-kit signs with it.
    func parsed() throws -> OIDCSignerCache.Parsed {
        switch algorithm {
        case .rs256: return .rsa(try Insecure.RSA.PrivateKey(pem: privateKey), .sha256)
        case .rs384: return .rsa(try Insecure.RSA.PrivateKey(pem: privateKey), .sha384)
        case .rs512: return .rsa(try Insecure.RSA.PrivateKey(pem: privateKey), .sha512)
        case .es256: return .es256(try ES256PrivateKey(pem: privateKey))
        case .es384: return .es384(try ES384PrivateKey(pem: privateKey))
        case .es512: return .es512(try ES512PrivateKey(pem: privateKey))
        case .edDSA: return .edDSA(EdDSA.PrivateKey(backing: try Curve25519.Signing.PrivateKey(rawRepresentation: Self.raw(privateKey))))
        }
    }

    /// A compact JWS of `claims`, its header naming this key.
    func sign(_ claims: [String: JSONValue], cache: OIDCSignerCache) async throws -> String {
        // A collection of its own per token: signing never waits on another request's.
        let keys = JWTKeyCollection()
        let id = JWKIdentifier(string: kid)
        switch try cache.parsed(self) {
        case .rsa(let key, let digest): await keys.add(rsa: key, digestAlgorithm: digest, kid: id)
        case .es256(let key): await keys.add(ecdsa: key, kid: id)
        case .es384(let key): await keys.add(ecdsa: key, kid: id)
        case .es512(let key): await keys.add(ecdsa: key, kid: id)
        case .edDSA(let key): await keys.add(eddsa: key, kid: id)
        }
        return try await keys.sign(IdentityTokenClaims(claims: claims), kid: id)
    }

    static func raw(_ base64: String) throws -> Data {
        guard let data = Data(base64Encoded: base64) else { throw TresorError.internalError("stored signing key is not base64") }
        return data
    }
}

/// The public half of a signing key, as kept for the JWKS and for introspection.
struct OIDCPublicKey: Codable, Sendable {
    var kid: String
    var algorithm: OIDCAlgorithm
    /// PEM for RSA and ECDSA; the raw 32 bytes in base64 for Ed25519.
    var publicKey: String
    /// When a rotated-out key leaves the JWKS; nil while it signs or is next to sign.
    var expireAt: Date?

    /// The key as a JSON Web Key (RFC 7517), as `.well-known/keys` lists it.
    func jwk() throws -> JSONValue {
        var jwk: [String: JSONValue] = ["use": "sig", "kid": .string(kid), "alg": .string(algorithm.rawValue)]
        switch algorithm {
        case .rs256, .rs384, .rs512:
            let (modulus, exponent) = try Insecure.RSA.PublicKey(pem: publicKey).getKeyPrimitives()
            jwk["kty"] = "RSA"
            jwk["n"] = .string(Self.base64URL(modulus))
            jwk["e"] = .string(Self.base64URL(exponent))
        case .es256: try Self.ec(&jwk, ES256PublicKey(pem: publicKey).parameters, curve: "P-256")
        case .es384: try Self.ec(&jwk, ES384PublicKey(pem: publicKey).parameters, curve: "P-384")
        case .es512: try Self.ec(&jwk, ES512PublicKey(pem: publicKey).parameters, curve: "P-521")
        case .edDSA:
            jwk["kty"] = "OKP"
            jwk["crv"] = "Ed25519"
            jwk["x"] = .string(Self.base64URL(try OIDCSigningKey.raw(publicKey)))
        }
        return .object(jwk)
    }

    /// The claims of `token` if this key signed it (the header's `alg` must be this key's).
    func verify(_ token: String) async throws -> [String: JSONValue] {
        let keys = JWTKeyCollection()
        let id = JWKIdentifier(string: kid)
        switch algorithm {
        case .rs256: await keys.add(rsa: try Insecure.RSA.PublicKey(pem: publicKey), digestAlgorithm: .sha256, kid: id)
        case .rs384: await keys.add(rsa: try Insecure.RSA.PublicKey(pem: publicKey), digestAlgorithm: .sha384, kid: id)
        case .rs512: await keys.add(rsa: try Insecure.RSA.PublicKey(pem: publicKey), digestAlgorithm: .sha512, kid: id)
        case .es256: await keys.add(ecdsa: try ES256PublicKey(pem: publicKey), kid: id)
        case .es384: await keys.add(ecdsa: try ES384PublicKey(pem: publicKey), kid: id)
        case .es512: await keys.add(ecdsa: try ES512PublicKey(pem: publicKey), kid: id)
        case .edDSA:
            await keys.add(eddsa: EdDSA.PublicKey(backing: try Curve25519.Signing.PublicKey(rawRepresentation: OIDCSigningKey.raw(publicKey))), kid: id)
        }
        return try await keys.verify(token, as: IdentityTokenClaims.self).claims
    }

    private static func ec(_ jwk: inout [String: JSONValue], _ parameters: ECDSAParameters?, curve: String) throws {
        guard let parameters else { throw TresorError.internalError("EC public key without coordinates") }
        jwk["kty"] = "EC"
        jwk["crv"] = .string(curve)
        jwk["x"] = .string(parameters.x)
        jwk["y"] = .string(parameters.y)
    }

    static func base64URL(_ data: some Collection<UInt8>) -> String {
        Base64.encodeToString(bytes: data, options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }
}

/// An identity token's claims: the registered ones and whatever the role's template adds.
struct IdentityTokenClaims: JWTPayload {
    var claims: [String: JSONValue]

    init(claims: [String: JSONValue]) { self.claims = claims }

    init(from decoder: any Decoder) throws {
        guard case .object(let claims) = try JSONValue(from: decoder) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "the claims are not a JSON object"))
        }
        self.claims = claims
    }

    func encode(to encoder: any Encoder) throws { try JSONValue.object(claims).encode(to: encoder) }

    /// The claims are checked by the introspection itself (issuer, audience, time, entity).
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

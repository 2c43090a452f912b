import JWTKit
import Synchronization

/// Signing keys already parsed, by key ID. Parsing a PEM key for every token cost a third of an
/// RSA signature (BoringSSL rebuilds the key's Montgomery and blinding values each time); a key
/// ID names one key pair for good, so its parsed form can be kept. Dropped at seal and step-down
/// with the rest of what the server holds in memory.
final class OIDCSignerCache: Sendable {
    enum Parsed: Sendable {
        case rsa(Insecure.RSA.PrivateKey, DigestAlgorithm)
        case es256(ES256PrivateKey), es384(ES384PrivateKey), es512(ES512PrivateKey)
        case edDSA(EdDSA.PrivateKey)
    }

    /// Keys in use are few (a current one per named key); more than this means churn, and the
    /// cache starts over rather than grow.
    static let capacity = 256
    private let keys = Mutex<[String: Parsed]>([:])

    func parsed(_ key: OIDCSigningKey) throws -> Parsed {
        if let cached = keys.withLock({ $0[key.kid] }) { return cached }
        let parsed = try key.parsed()
        keys.withLock { keys in
            if keys.count >= Self.capacity { keys.removeAll() }
            keys[key.kid] = parsed
        }
        return parsed
    }

    func removeAll() { keys.withLock { $0.removeAll() } }
}

import Crypto
import TresorCore

/// The hash algorithms transit names (`sha2-256`, ...). SHA-224 and SHA3-224 are not offered
/// by swift-crypto, so they are refused rather than approximated.
enum TransitHash: String, Sendable {
    case sha1, sha2_256 = "sha2-256", sha2_384 = "sha2-384", sha2_512 = "sha2-512"
    case sha3_256 = "sha3-256", sha3_384 = "sha3-384", sha3_512 = "sha3-512"

    static func named(_ name: String) throws(TresorError) -> TransitHash {
        if let hash = TransitHash(rawValue: name) { return hash }
        if ["sha2-224", "sha3-224"].contains(name) {
            throw .badRequest("unsupported algorithm \(name): this server does not implement SHA-224")
        }
        throw .badRequest("unsupported algorithm \(name)")
    }

    func hash(_ data: [UInt8]) -> [UInt8] {
        switch self {
        case .sha1: Array(Insecure.SHA1.hash(data: data))
        case .sha2_256: Array(SHA256.hash(data: data))
        case .sha2_384: Array(SHA384.hash(data: data))
        case .sha2_512: Array(SHA512.hash(data: data))
        case .sha3_256: Array(SHA3_256.hash(data: data))
        case .sha3_384: Array(SHA3_384.hash(data: data))
        case .sha3_512: Array(SHA3_512.hash(data: data))
        }
    }

    func hmac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        let key = SymmetricKey(data: key)
        switch self {
        case .sha1: return Array(HMAC<Insecure.SHA1>.authenticationCode(for: data, using: key))
        case .sha2_256: return Array(HMAC<SHA256>.authenticationCode(for: data, using: key))
        case .sha2_384: return Array(HMAC<SHA384>.authenticationCode(for: data, using: key))
        case .sha2_512: return Array(HMAC<SHA512>.authenticationCode(for: data, using: key))
        case .sha3_256: return Array(HMAC<SHA3_256>.authenticationCode(for: data, using: key))
        case .sha3_384: return Array(HMAC<SHA3_384>.authenticationCode(for: data, using: key))
        case .sha3_512: return Array(HMAC<SHA3_512>.authenticationCode(for: data, using: key))
        }
    }

    /// Checks a presented MAC in constant time (swift-crypto's comparison).
    func isValidHMAC(_ mac: [UInt8], key: [UInt8], _ data: [UInt8]) -> Bool {
        let key = SymmetricKey(data: key)
        switch self {
        case .sha1: return HMAC<Insecure.SHA1>.isValidAuthenticationCode(mac, authenticating: data, using: key)
        case .sha2_256: return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: data, using: key)
        case .sha2_384: return HMAC<SHA384>.isValidAuthenticationCode(mac, authenticating: data, using: key)
        case .sha2_512: return HMAC<SHA512>.isValidAuthenticationCode(mac, authenticating: data, using: key)
        case .sha3_256: return HMAC<SHA3_256>.isValidAuthenticationCode(mac, authenticating: data, using: key)
        case .sha3_384: return HMAC<SHA3_384>.isValidAuthenticationCode(mac, authenticating: data, using: key)
        case .sha3_512: return HMAC<SHA3_512>.isValidAuthenticationCode(mac, authenticating: data, using: key)
        }
    }
}

/// A digest computed elsewhere (or handed in `prehashed`), for swift-crypto's ECDSA, which signs
/// whatever digest bytes it is given and truncates them to the curve's order as FIPS 186 says.
struct PrecomputedDigest: Digest {
    static var byteCount: Int { 64 }
    let bytes: [UInt8]
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try bytes.withUnsafeBytes(body) }
    func makeIterator() -> IndexingIterator<[UInt8]> { bytes.makeIterator() }
    var description: String { "PrecomputedDigest(\(bytes.count) bytes)" }
}

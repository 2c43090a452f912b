import Synchronization
import TresorCore
import X509

/// Parsed CA keys and certificates, by the exact stored text they came from. Parsing an EC key
/// recomputes its public point, and a certificate's PEM must be decoded and its DER parsed: done
/// on every issuance, that was most of the cost. Keyed by content, an entry can never be stale,
/// and only a caller already holding the PEM can get its parsed form. Bounded: the whole cache
/// is dropped once it holds `limit` entries, which only a mount with that many issuers reaches.
final class PKICache: Sendable {
    static let shared = PKICache()
    static let limit = 256

    private let keys = Mutex<[String: PKIPrivateKey]>([:])
    private let certificates = Mutex<[String: Certificate]>([:])
    private let roles = Mutex<[[UInt8]: PKIRole]>([:])

    /// A role from its stored JSON, checked as a write checks it.
    func role(_ stored: [UInt8]) throws -> PKIRole {
        if let cached = roles.withLock({ $0[stored] }) { return cached }
        guard let object = try JSONReader.parse(stored).objectValue else { throw TresorError.internalError("stored role is corrupt") }
        let parsed = try PKIRole.load(object)
        roles.withLock { cache in
            if cache.count >= Self.limit { cache.removeAll() }
            cache[stored] = parsed
        }
        return parsed
    }

    func key(_ pem: String) throws(TresorError) -> PKIPrivateKey {
        if let cached = keys.withLock({ $0[pem] }) { return cached }
        let parsed = try PKIPrivateKey.parse(pem: pem)
        keys.withLock { cache in
            if cache.count >= Self.limit { cache.removeAll() }
            cache[pem] = parsed
        }
        return parsed
    }

    func certificate(_ pem: String) throws(TresorError) -> Certificate {
        if let cached = certificates.withLock({ $0[pem] }) { return cached }
        let parsed = try PKIEncoding.parsePEM(pem)
        certificates.withLock { cache in
            if cache.count >= Self.limit { cache.removeAll() }
            cache[pem] = parsed
        }
        return parsed
    }
}

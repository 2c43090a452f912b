import Crypto
import Foundation

/// Token IDs, accessors and their salted hashes.
public struct TokenCrypto: Sendable {
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)

    /// The HMAC with the salt already absorbed: each hash copies it instead of redoing the key
    /// schedule, which showed in profiles of token lookups.
    let keyed: HMAC<SHA256>
    /// Seals and opens batch tokens, under a key derived from the same salt.
    let batch: BatchTokenSeal

    public init(salt: SymmetricKey) {
        keyed = HMAC<SHA256>(key: salt)
        batch = BatchTokenSeal(salt: salt)
    }

    /// Random base62 text; rejection sampling keeps every character equally likely.
    public static func randomString(_ count: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var generator = SystemRandomNumberGenerator()
        while out.count < count {
            let byte = UInt8.random(in: 0...255, using: &generator)
            if byte < 248 { out.append(alphabet[Int(byte % 62)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func newToken() -> String { "hvs." + randomString(24) }
    public static func newAccessor() -> String { randomString(24) }

    /// HMAC-SHA256 under the server's salt: what storage keys tokens by.
    public func hash(_ value: String) -> String {
        var mac = keyed
        var value = value
        value.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        return mac.finalize().hexString
    }

    /// Constant-time comparison for secrets held in memory.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}

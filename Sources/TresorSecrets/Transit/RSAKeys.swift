import Crypto
import CryptoExtras
import Foundation
import SwiftASN1
import TresorCore

/// RSA keys between Go's stored components and swift-crypto's key types. The components come
/// out of the key's PKCS#1 DER (parsed with swift-asn1) and go back in through swift-crypto's
/// constructor from primes.
enum RSAKeys {
    static func components(of key: _RSA.Signing.PrivateKey) throws -> RSAComponents {
        let root = try DER.parse(Array(key.derRepresentation))
        return try DER.sequence(root, identifier: .sequence) { nodes in
            _ = try Int(derEncoded: &nodes)
            func next() throws -> [UInt8] { Array(try ArraySlice<UInt8>(derEncoded: &nodes).drop { $0 == 0 }) }
            let n = try next(), e = try next(), d = try next(), p = try next(), q = try next()
            let dp = try next(), dq = try next(), qinv = try next()
            return RSAComponents(n: n, e: e, d: d, p: p, q: q, dp: dp, dq: dq, qinv: qinv)
        }
    }

    static func privateKey(_ c: RSAComponents) throws(TresorError) -> _RSA.Signing.PrivateKey {
        do {
            return try _RSA.Signing.PrivateKey(n: c.n, e: c.e, d: c.d, p: c.p, q: c.q)
        } catch {
            throw .badRequest("invalid RSA key: \(error)")
        }
    }

    static func publicKey(n: [UInt8], e: [UInt8]) throws(TresorError) -> _RSA.Signing.PublicKey {
        do {
            return try _RSA.Signing.PublicKey(n: n, e: e)
        } catch {
            throw .badRequest("invalid RSA public key: \(error)")
        }
    }

    /// A stored key without Go's precomputed values gets them from swift-crypto.
    static func completed(n: [UInt8], e: [UInt8], d: [UInt8], p: [UInt8], q: [UInt8]) throws(TresorError) -> RSAComponents {
        let key = try privateKey(RSAComponents(n: n, e: e, d: d, p: p, q: q, dp: [], dq: [], qinv: []))
        do {
            return try components(of: key)
        } catch {
            throw .badRequest("invalid RSA key: \(error)")
        }
    }

    static func generate(bits: Int) throws -> RSAComponents {
        try components(of: try _RSA.Signing.PrivateKey(keySize: .init(bitCount: bits)))
    }
}

import Crypto
import CryptoExtras

/// AES key wrap with padding (RFC 5649, NIST SP 800-38F "KWP"), the format Vault's BYOK import
/// carries key material in. swift-crypto has the unpadded RFC 3394 wrap only; this composes
/// KWP from its AES block permutation, exactly as the RFC lays out the six rounds.
public enum KeyWrapPadded {
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    private static let magic: [UInt8] = [0xa6, 0x59, 0x59, 0xa6]
    /// Vault's limit on wrapped material; far above any key it imports.
    public static let maxPlaintext = 8192

    public static func wrap(_ plaintext: [UInt8], kek: SymmetricKey) throws -> [UInt8] {
        guard !plaintext.isEmpty, plaintext.count <= maxPlaintext else { throw Failure(description: "kwp: invalid input size") }
        let length = UInt32(plaintext.count)
        let aiv = magic + [UInt8(length >> 24), UInt8((length >> 16) & 0xff), UInt8((length >> 8) & 0xff), UInt8(length & 0xff)]
        let padded = plaintext + [UInt8](repeating: 0, count: (8 - plaintext.count % 8) % 8)
        let n = padded.count / 8
        if n == 1 {
            var block = aiv + padded
            try AES.permute(&block, key: kek)
            return block
        }
        var a = aiv
        var r = stride(from: 0, to: padded.count, by: 8).map { Array(padded[$0..<$0 + 8]) }
        for j in 0..<6 {
            for i in 0..<n {
                var block = a + r[i]
                try AES.permute(&block, key: kek)
                let t = UInt64(n * j + i + 1)
                a = xor(Array(block[0..<8]), t)
                r[i] = Array(block[8..<16])
            }
        }
        return a + r.flatMap { $0 }
    }

    public static func unwrap(_ wrapped: [UInt8], kek: SymmetricKey) throws -> [UInt8] {
        guard wrapped.count >= 16, wrapped.count % 8 == 0, wrapped.count <= maxPlaintext + 16 else {
            throw Failure(description: "kwp: invalid ciphertext size")
        }
        let n = wrapped.count / 8 - 1
        var a: [UInt8]
        var plain: [UInt8]
        if n == 1 {
            var block = wrapped
            try AES.inversePermute(&block, key: kek)
            a = Array(block[0..<8])
            plain = Array(block[8..<16])
        } else {
            a = Array(wrapped[0..<8])
            var r = stride(from: 8, to: wrapped.count, by: 8).map { Array(wrapped[$0..<$0 + 8]) }
            for j in stride(from: 5, through: 0, by: -1) {
                for i in stride(from: n - 1, through: 0, by: -1) {
                    let t = UInt64(n * j + i + 1)
                    var block = xor(a, t) + r[i]
                    try AES.inversePermute(&block, key: kek)
                    a = Array(block[0..<8])
                    r[i] = Array(block[8..<16])
                }
            }
            plain = r.flatMap { $0 }
        }
        // Every check folds into one flag, so a failure says nothing about which part failed.
        let length = Int(UInt32(a[4]) << 24 | UInt32(a[5]) << 16 | UInt32(a[6]) << 8 | UInt32(a[7]))
        var bad: UInt8 = 0
        for index in 0..<4 { bad |= a[index] ^ magic[index] }
        let lengthFits = length > 8 * (n - 1) && length <= 8 * n
        if lengthFits {
            for index in length..<plain.count { bad |= plain[index] }
        }
        guard bad == 0, lengthFits else { throw Failure(description: "kwp: unwrap failed integrity check") }
        return Array(plain[0..<length])
    }

    private static func xor(_ block: [UInt8], _ t: UInt64) -> [UInt8] {
        var out = block
        for index in 0..<8 { out[index] ^= UInt8((t >> (8 * UInt64(7 - index))) & 0xff) }
        return out
    }
}

/// Converts between big-endian unsigned integers and their decimal text. OpenBao's stored keys
/// (and so its backups) hold ECDSA coordinates and RSA components as bare JSON integers hundreds
/// of digits long; this is how they cross into byte form. Not arithmetic on secrets in any
/// timing-sensitive sense: it runs only when a key is stored, loaded or backed up.
enum BigDecimal {
    /// Decimal digits to big-endian bytes, without leading zero bytes (zero is empty). Nil for
    /// anything but ASCII digits, or more than `maxDigits` of them.
    static func bytes(fromDecimal text: Substring, maxDigits: Int = 2_500) -> [UInt8]? {
        guard !text.isEmpty, text.utf8.count <= maxDigits else { return nil }
        // Little-endian base-2^32 limbs; multiply by 10 and add each digit.
        var limbs: [UInt32] = []
        for byte in text.utf8 {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            var carry = UInt64(byte - 0x30)
            for index in limbs.indices {
                let product = UInt64(limbs[index]) * 10 + carry
                limbs[index] = UInt32(truncatingIfNeeded: product)
                carry = product >> 32
            }
            if carry > 0 { limbs.append(UInt32(carry)) }
        }
        var out: [UInt8] = []
        out.reserveCapacity(limbs.count * 4)
        for limb in limbs.reversed() {
            out += [UInt8(limb >> 24), UInt8((limb >> 16) & 0xff), UInt8((limb >> 8) & 0xff), UInt8(limb & 0xff)]
        }
        return Array(out.drop { $0 == 0 })
    }

    /// Big-endian bytes to decimal digits ("0" for zero or empty).
    static func decimal(fromBytes bytes: [UInt8]) -> String {
        var limbs: [UInt32] = []  // big-endian base-2^32
        let padded = [UInt8](repeating: 0, count: (4 - bytes.count % 4) % 4) + bytes
        var index = 0
        while index < padded.count {
            limbs.append(UInt32(padded[index]) << 24 | UInt32(padded[index + 1]) << 16 | UInt32(padded[index + 2]) << 8 | UInt32(padded[index + 3]))
            index += 4
        }
        var digits: [UInt8] = []
        // Divide by 10^9 repeatedly; each remainder is nine decimal digits.
        while limbs.contains(where: { $0 != 0 }) {
            var remainder: UInt64 = 0
            for i in limbs.indices {
                let value = remainder << 32 | UInt64(limbs[i])
                limbs[i] = UInt32(value / 1_000_000_000)
                remainder = value % 1_000_000_000
            }
            for _ in 0..<9 {
                digits.append(UInt8(remainder % 10) + 0x30)
                remainder /= 10
            }
        }
        while digits.count > 1 && digits.last == 0x30 { digits.removeLast() }
        if digits.isEmpty { return "0" }
        return String(decoding: digits.reversed(), as: UTF8.self)
    }

    /// `bytes` left-padded with zeros to `size` (for fixed-width key encodings); nil if longer.
    static func padded(_ bytes: [UInt8], to size: Int) -> [UInt8]? {
        guard bytes.count <= size else { return nil }
        return [UInt8](repeating: 0, count: size - bytes.count) + bytes
    }
}

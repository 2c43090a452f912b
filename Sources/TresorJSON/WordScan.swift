/// Eight bytes at a time: whether a word holds a given byte, or one below a bound. JSON strings
/// are scanned this way in both directions (base64 ciphertexts in transit batches are megabytes
/// of bytes that need no escaping). The classic bit tricks: exact, no false positives.
enum WordScan {
    @inline(__always) static func broadcast(_ byte: UInt8) -> UInt64 { 0x0101_0101_0101_0101 &* UInt64(byte) }

    /// Whether some byte of `word` is below `bound` (for bounds up to 128).
    @inline(__always) static func hasByte(below bound: UInt8, in word: UInt64) -> Bool {
        (word &- broadcast(bound)) & ~word & 0x8080_8080_8080_8080 != 0
    }

    @inline(__always) static func hasByte(_ byte: UInt8, in word: UInt64) -> Bool {
        hasByte(below: 1, in: word ^ broadcast(byte))
    }

    /// Whether some byte of `word` has its top bit set (is not ASCII).
    @inline(__always) static func hasNonASCII(_ word: UInt64) -> Bool { word & 0x8080_8080_8080_8080 != 0 }

    /// How many leading bytes of `bytes`, in whole words, pass `clean`: where a byte-by-byte
    /// loop has to take over.
    @inline(__always)
    static func cleanPrefix(_ bytes: UnsafeRawBufferPointer, from start: Int, _ clean: (UInt64) -> Bool) -> Int {
        var offset = start
        while offset + 8 <= bytes.count {
            guard clean(bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) else { break }
            offset += 8
        }
        return offset
    }
}

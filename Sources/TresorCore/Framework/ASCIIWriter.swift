/// Writes ASCII into a buffer a `String(unsafeUninitializedCapacity:)` hands out: fixed-width
/// digits and literal text, for the timestamps formatted on every request and audit entry.
struct ASCIIWriter {
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

    /// `value` zero-padded to `width` digits (its low `width` digits if it has more).
    mutating func digits(_ value: Int, _ width: Int) {
        var value = value
        for position in stride(from: count + width - 1, through: count, by: -1) {
            buffer[position] = UInt8(ascii: "0") + UInt8(value % 10)
            value /= 10
        }
        count += width
    }

    mutating func text(_ text: StaticString) {
        text.withUTF8Buffer { for byte in $0 { append(byte) } }
    }

    mutating func append(_ byte: UInt8) {
        buffer[count] = byte
        count += 1
    }

    /// The last byte written, for trimming.
    var last: UInt8 { buffer[count - 1] }
    mutating func dropLast() { count -= 1 }
}

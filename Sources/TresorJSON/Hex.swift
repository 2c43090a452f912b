/// Lower-case hex without Foundation's format strings, which cost a varargs formatter per byte on
/// the request path (token hashes, KV version keys). Inlinable so callers in other modules get a
/// specialised loop instead of a generic iterator.
extension Sequence where Element == UInt8 {
    @inlinable
    public var hexString: String {
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            out.append(hexDigit(byte >> 4))
            out.append(hexDigit(byte & 0x0F))
        }
        return String(decoding: out, as: UTF8.self)
    }
}

@inlinable
func hexDigit(_ nibble: UInt8) -> UInt8 {
    nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
}

/// Version 4 UUIDs, lower case, from the system's CSPRNG (getrandom). Foundation's `UUID()` on
/// Linux opens /dev/urandom for every call, a system call pair on every request.
public enum RandomUUID {
    public static func string() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<2).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64) { Array($0) } }
        bytes[6] = (bytes[6] & 0x0F) | 0x40   // version 4
        bytes[8] = (bytes[8] & 0x3F) | 0x80   // RFC 4122 variant
        let hex = bytes.hexString.utf8
        var out = ""
        out.reserveCapacity(36)
        var index = hex.startIndex
        for (group, length) in [8, 4, 4, 4, 12].enumerated() {
            if group > 0 { out.append("-") }
            let end = hex.index(index, offsetBy: length)
            out.append(contentsOf: Substring(hex[index..<end]))
            index = end
        }
        return out
    }
}

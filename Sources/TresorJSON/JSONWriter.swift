/// Serialises `JSONValue` with sorted object keys, as Go's encoding/json does for maps, so
/// Tresor's bodies read like Vault's. Hand-written because it sits on every response's path and
/// Foundation's encoder would go through Codable's boxing for each value.
public enum JSONWriter {
    public static func encode(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out)
        return out
    }

    public static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d):
            if d.isNaN || d.isInfinite {
                out.append(contentsOf: "null".utf8)
            } else if d == d.rounded(), abs(d) < 1e15 {
                out.append(contentsOf: String(Int64(d)).utf8)
            } else {
                out.append(contentsOf: String(d).utf8)
            }
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let map):
            out.append(UInt8(ascii: "{"))
            for (i, (key, item)) in map.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            // Most strings need no escaping at all: copy them in one go. The scan is a plain
            // loop over a bit mask; it runs over every byte of every string answered (batches of
            // base64 ciphertexts make that megabytes).
            let words = WordScan.cleanPrefix(UnsafeRawBufferPointer(bytes), from: 0) { word in
                !(WordScan.hasByte(below: 0x20, in: word) || WordScan.hasByte(0x22, in: word) || WordScan.hasByte(0x5C, in: word)
                    || WordScan.hasByte(0x3C, in: word) || WordScan.hasByte(0x3E, in: word) || WordScan.hasByte(0x26, in: word))
            }
            var clean = true
            for byte in bytes[words...] where needsEscape(byte) {
                clean = false
                break
            }
            if clean {
                out.append(contentsOf: bytes)
                return
            }
            for byte in bytes {
                guard needsEscape(byte) else {
                    out.append(byte)
                    continue
                }
                out.append(92)
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
                case UInt8(ascii: "\n"): out.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): out.append(UInt8(ascii: "r"))
                case UInt8(ascii: "\t"): out.append(UInt8(ascii: "t"))
                // Go escapes these for HTML safety; clients accept either, and matching keeps diffs quiet.
                default:
                    out.append(UInt8(ascii: "u"))
                    out.append(48)
                    out.append(48)
                    out.append(hexDigit(byte >> 4))
                    out.append(hexDigit(byte & 0xF))
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        // One bit per byte below 0x40 that needs escaping: control characters (bits 0-31),
        // `"` (34), `&` (38), `<` (60) and `>` (62).
        let lowEscapes: UInt64 = 0x5000_0044_FFFF_FFFF
        return byte < 0x40 ? (lowEscapes >> UInt64(byte)) & 1 == 1 : byte == UInt8(ascii: "\\")
    }
}

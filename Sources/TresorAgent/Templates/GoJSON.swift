import Foundation
import GoTemplate

/// Go's encoding/json output for template values, as consul-template's `toJSON` and
/// `toJSONPretty` give it: sorted keys, `<`, `>` and `&` escaped, numbers as written.
enum GoJSON {
    static func encode(_ value: TemplateValue, indent: String? = nil) -> String {
        var out = ""
        write(value, into: &out, indent: indent, level: 0)
        return out
    }

    static func write(_ value: TemplateValue, into out: inout String, indent: String?, level: Int) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += float(d)
        case .number(let n): out += n.isEmpty ? "0" : n
        case .string(let s): out += quote(s)
        case .array(let items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                newline(&out, indent, level + 1)
                write(item, into: &out, indent: indent, level: level + 1)
            }
            newline(&out, indent, level)
            out += "]"
        case .map(let map):
            guard !map.isEmpty else { out += "{}"; return }
            out += "{"
            for (index, key) in map.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                newline(&out, indent, level + 1)
                out += quote(key) + (indent == nil ? ":" : ": ")
                write(map[key]!, into: &out, indent: indent, level: level + 1)
            }
            newline(&out, indent, level)
            out += "}"
        }
    }

    static func newline(_ out: inout String, _ indent: String?, _ level: Int) {
        guard let indent else { return }
        out += "\n" + String(repeating: indent, count: level)
    }

    /// Go's float encoding: plain decimals, exponent form below 1e-6 or from 1e21.
    static func float(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        let abs = Swift.abs(d)
        if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
            // Go writes e-07 as e-7.
            var text = GoFormat.printf("%v", [.double(d)])
            if text.contains("e") == false { text = String(d) }
            return text.replacingOccurrences(of: "e-0", with: "e-").replacingOccurrences(of: "e+0", with: "e+")
        }
        if d == d.rounded() && abs < 1e21 { return String(format: "%.0f", d) }
        let text = String(d)
        return text.contains("e") ? String(format: "%f", d) : text
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

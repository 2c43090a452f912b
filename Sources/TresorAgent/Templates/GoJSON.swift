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
        let text = GoFormat.shortest(d, exponentFrom: 21, exponentBelow: -6)
        // Go writes e-07 as e-7.
        guard let e = text.range(of: "e-0") else { return text }
        return text.replacingCharacters(in: e, with: "e-")
    }

    static func quote(_ text: String) -> String {
        "\"" + Escaper.json(text) + "\""
    }
}

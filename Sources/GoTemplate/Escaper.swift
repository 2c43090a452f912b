/// Character-by-character escaping as Go's packages do it: a table of replacements, and one rule
/// for the other control characters. One mechanism serves `html`, `js`, strconv.Quote and
/// encoding/json's strings.
public struct Escaper: Sendable {
    public enum Control: Sendable {
        /// Other control characters pass unchanged.
        case keep
        /// `\u001F` (js).
        case unicodeUpper
        /// `\u001f` (encoding/json).
        case unicodeLower
        /// `\x1f`, DEL included (strconv.Quote).
        case hexByte
    }

    let table: [Unicode.Scalar: String]
    let control: Control

    public init(_ table: [Unicode.Scalar: String], control: Control) {
        self.table = table
        self.control = control
    }

    public func callAsFunction(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if let replacement = table[scalar] {
                out += replacement
                continue
            }
            let value = scalar.value
            switch control {
            case .unicodeUpper where value < 0x20, .unicodeLower where value < 0x20:
                let hex = String(value, radix: 16, uppercase: control == .unicodeUpper)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            case .hexByte where value < 0x20 || value == 0x7F:
                let hex = String(value, radix: 16)
                out += "\\x" + (hex.count < 2 ? "0" : "") + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static let common: [Unicode.Scalar: String] = ["\"": "\\\"", "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"]

    /// text/template's `html`.
    public static let html = Escaper(["<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&#39;", "\"": "&#34;", "\0": "\u{FFFD}"], control: .keep)
    /// text/template's `js`.
    public static let js = Escaper(common.merging(["'": "\\'", "<": "\\u003C", ">": "\\u003E", "&": "\\u0026", "=": "\\u003D"]) { $1 },
                                   control: .unicodeUpper)
    /// The inside of strconv.Quote.
    public static let goString = Escaper(common.merging(["\u{07}": "\\a", "\u{08}": "\\b", "\u{0C}": "\\f", "\u{0B}": "\\v"]) { $1 },
                                         control: .hexByte)
    /// The inside of an encoding/json string (HTML characters escaped, as json.Marshal does).
    public static let json = Escaper(common.merging(["<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u{2028}": "\\u2028",
                                                     "\u{2029}": "\\u2029"]) { $1 }, control: .unicodeLower)
}

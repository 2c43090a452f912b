import Foundation

/// Go's fmt, as far as templates print values: `%v` of every value kind, `Sprint`, and
/// `Sprintf` with the common verbs, flags, width and precision, including Go's `%!verb(...)`
/// complaints for mismatched arguments.
public enum GoFormat {
    /// `%v`; nil prints `<no value>` at the top of an action (as text/template does) and `<nil>`
    /// inside a collection.
    public static func value(_ value: TemplateValue, topLevel: Bool) -> String {
        switch value {
        case .null: return topLevel ? "<no value>" : "<nil>"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return shortest(d)
        case .number(let n): return n
        case .string(let s): return s
        case .array(let a): return "[" + a.map { Self.value($0, topLevel: false) }.joined(separator: " ") + "]"
        case .map(let m):
            return "map[" + m.keys.sorted().map { $0 + ":" + Self.value(m[$0]!, topLevel: false) }.joined(separator: " ") + "]"
        }
    }

    /// fmt.Sprint: operands side by side, with a space between two that are both not strings.
    public static func sprint(_ values: [TemplateValue]) -> String {
        var out = ""
        for (index, item) in values.enumerated() {
            if index > 0, !item.isString, !values[index - 1].isString { out += " " }
            out += value(item, topLevel: false)
        }
        return out
    }

    /// Go's shortest `%v` of a float64 (strconv's 'g' with precision -1): exponent form below
    /// 1e-4 or from 1e6 on (`1e+06`, `1.234567e+06`, `123456`).
    /// encoding/json uses the same digits with exponent form below 1e-6 and from 1e21 on.
    public static func shortest(_ d: Double, exponentFrom: Int = 6, exponentBelow: Int = -4) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Inf" : "+Inf" }
        if d == 0 { return d.sign == .minus ? "-0" : "0" }
        let (digits, pointPosition) = decimalDigits(abs(d))
        let exponent = pointPosition - 1
        let sign = d < 0 ? "-" : ""
        if exponent < exponentBelow || exponent >= exponentFrom {
            var mantissa = String(digits.first!)
            if digits.count > 1 { mantissa += "." + digits.dropFirst() }
            let magnitude = abs(exponent)
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (magnitude < 10 ? "0" : "") + String(magnitude)
        }
        if pointPosition <= 0 { return sign + "0." + String(repeating: "0", count: -pointPosition) + digits }
        if pointPosition >= digits.count { return sign + digits + String(repeating: "0", count: pointPosition - digits.count) }
        return sign + digits.prefix(pointPosition) + "." + digits.dropFirst(pointPosition)
    }

    /// The shortest round-tripping decimal digits of a positive double, and where the point
    /// goes (digits "15", position 1 means 1.5).
    static func decimalDigits(_ d: Double) -> (String, Int) {
        let text = d.description
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        var integerPart = mantissa
        var fraction: Substring = ""
        if let dot = mantissa.firstIndex(of: ".") {
            integerPart = mantissa[..<dot]
            fraction = mantissa[mantissa.index(after: dot)...]
        }
        var digits = String(integerPart) + fraction
        var position = integerPart.count + exponent
        while digits.hasPrefix("0") && digits.count > 1 {
            digits.removeFirst()
            position -= 1
        }
        while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
        return (digits, position)
    }

    /// fmt.Sprintf.
    public static func printf(_ format: String, _ arguments: [TemplateValue]) -> String {
        var out = ""
        let chars = Array(format.unicodeScalars)
        var index = 0
        var next = 0
        while index < chars.count {
            let c = chars[index]
            guard c == "%" else {
                out.unicodeScalars.append(c)
                index += 1
                continue
            }
            index += 1
            guard index < chars.count else { out += "%!(NOVERB)"; break }
            var spec = Spec()
            while index < chars.count, "+-# 0".unicodeScalars.contains(chars[index]) {
                switch chars[index] {
                case "+": spec.plus = true
                case "-": spec.minus = true
                case "#": spec.sharp = true
                case " ": spec.space = true
                default: spec.zero = true
                }
                index += 1
            }
            var width = 0
            var hasWidth = false
            while index < chars.count, let digit = Int(String(chars[index])), chars[index].isASCII {
                width = min(width * 10 + digit, 10_000)
                hasWidth = true
                index += 1
            }
            if hasWidth { spec.width = width }
            if index < chars.count, chars[index] == "." {
                index += 1
                var precision = 0
                while index < chars.count, let digit = Int(String(chars[index])), chars[index].isASCII {
                    precision = min(precision * 10 + digit, 1_000)
                    index += 1
                }
                spec.precision = precision
            }
            guard index < chars.count else { out += "%!(NOVERB)"; break }
            let verb = chars[index]
            index += 1
            if verb == "%" { out += "%"; continue }
            guard next < arguments.count else { out += "%!\(verb)(MISSING)"; continue }
            let argument = arguments[next]
            next += 1
            out += pad(Self.format(argument, verb, spec), spec, numeric: argument.numeric != nil && !argument.isString)
        }
        if next < arguments.count {
            out += "%!(EXTRA " + arguments[next...].map { "\($0.typeName)=\(value($0, topLevel: false))" }.joined(separator: ", ") + ")"
        }
        return out
    }

    struct Spec {
        var plus = false, minus = false, sharp = false, space = false, zero = false
        var width: Int?
        var precision: Int?
    }

    static func bad(_ verb: Unicode.Scalar, _ value: TemplateValue) -> String {
        if case .null = value { return "%!\(verb)(<nil>)" }
        return "%!\(verb)(\(value.typeName)=\(Self.value(value, topLevel: false)))"
    }

    static func format(_ value: TemplateValue, _ verb: Unicode.Scalar, _ spec: Spec) -> String {
        switch verb {
        case "v":
            return Self.value(value, topLevel: false)
        case "s":
            switch value {
            case .string, .number: return truncate(Self.value(value, topLevel: false), spec.precision)
            case .array(let items) where items.allSatisfy(\.isString): return Self.value(value, topLevel: false)
            case .map: return Self.value(value, topLevel: false)
            default: return bad(verb, value)
            }
        case "q":
            guard value.isString else {
                if case .int(let i) = value, let scalar = Unicode.Scalar(UInt32(clamping: max(i, 0))) { return "'" + String(scalar) + "'" }
                return bad(verb, value)
            }
            return quote(Self.value(value, topLevel: false))
        case "d":
            guard case .int(let i) = value else { return bad(verb, value) }
            var text = String(abs(i))
            if let precision = spec.precision, text.count < precision { text = String(repeating: "0", count: precision - text.count) + text }
            return (i < 0 ? "-" : spec.plus ? "+" : spec.space ? " " : "") + text
        case "b", "o", "x", "X":
            let radix = verb == "b" ? 2 : verb == "o" ? 8 : 16
            switch value {
            case .int(let i):
                let digits = String(abs(i), radix: radix, uppercase: verb == "X")
                let prefix = spec.sharp ? (radix == 16 ? (verb == "X" ? "0X" : "0x") : radix == 8 ? "0" : "") : ""
                return (i < 0 ? "-" : spec.plus ? "+" : "") + prefix + digits
            case .string(let s) where radix == 16:
                return s.utf8.map { (($0 < 16) ? "0" : "") + String($0, radix: 16, uppercase: verb == "X") }.joined()
            default:
                return bad(verb, value)
            }
        case "c":
            guard case .int(let i) = value, let scalar = Unicode.Scalar(UInt32(clamping: max(i, 0))) else { return bad(verb, value) }
            return String(scalar)
        case "t":
            guard case .bool(let b) = value else { return bad(verb, value) }
            return b ? "true" : "false"
        case "f", "F", "e", "E", "g", "G":
            guard !value.isString || value.isNumberLiteral, let d = floatValue(value) else { return bad(verb, value) }
            let sign = d < 0 || (d == 0 && d.sign == .minus) ? "" : spec.plus ? "+" : spec.space ? " " : ""
            if (verb == "g" || verb == "G") && spec.precision == nil { return sign + shortestG(d, upper: verb == "G") }
            let c = String(verb)
            return sign + String(format: "%.\(spec.precision ?? 6)" + c, d)
        case "T":
            return value.typeName
        default:
            return bad(verb, value)
        }
    }

    static func floatValue(_ value: TemplateValue) -> Double? {
        switch value {
        case .double(let d): return d
        default: return nil
        }
    }

    /// `%g` without precision: the same shortest form as `%v`.
    static func shortestG(_ d: Double, upper: Bool) -> String {
        let text = shortest(d)
        return upper ? text.uppercased() : text
    }

    static func truncate(_ text: String, _ precision: Int?) -> String {
        guard let precision else { return text }
        return String(text.unicodeScalars.prefix(precision).map(Character.init))
    }

    static func pad(_ text: String, _ spec: Spec, numeric: Bool) -> String {
        guard let width = spec.width else { return text }
        let count = text.unicodeScalars.count
        guard count < width else { return text }
        let fill = width - count
        if spec.minus { return text + String(repeating: " ", count: fill) }
        if spec.zero && numeric {
            if let first = text.first, first == "-" || first == "+" { return String(first) + String(repeating: "0", count: fill) + text.dropFirst() }
            return String(repeating: "0", count: fill) + text
        }
        return String(repeating: " ", count: fill) + text
    }

    /// strconv.Quote.
    public static func quote(_ text: String) -> String {
        "\"" + Escaper.goString(text) + "\""
    }
}

extension TemplateValue {
    var isString: Bool {
        if case .string = self { return true }
        return false
    }

    var isNumberLiteral: Bool {
        if case .number = self { return true }
        return false
    }
}

/// A value a template works on: what JSON holds, plus Go's integers and floats. Maps print and
/// range in sorted key order, as Go's do.
public indirect enum TemplateValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    /// A number as it was written in JSON (Go's `json.Number`): printed exactly as written.
    case number(String)
    case string(String)
    case array([TemplateValue])
    case map([String: TemplateValue])

    /// Go's truth: false, zero, nil and empty values are false.
    public var isTrue: Bool {
        switch self {
        case .null: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .number(let n): return !n.isEmpty
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .map(let m): return !m.isEmpty
        }
    }

    /// What `{{ value }}` prints, as Go's fmt `%v` does (nil prints `<no value>` at the top).
    public var text: String { GoFormat.value(self, topLevel: true) }

    /// The type's name in error messages, as Go would say it.
    var typeName: String {
        switch self {
        case .null: return "<nil>"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float64"
        case .number: return "json.Number"
        case .string: return "string"
        case .array: return "[]interface {}"
        case .map: return "map[string]interface {}"
        }
    }

    /// A number's value, when it is one.
    var numeric: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .number(let n): return Double(n)
        default: return nil
        }
    }

    var integer: Int? {
        switch self {
        case .int(let i): return i
        case .number(let n): return Int(n)
        case .double(let d) where d == d.rounded() && abs(d) < 9e15: return Int(d)
        default: return nil
        }
    }
}

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: TemplateValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, TemplateValue)...) {
        self = .map(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}

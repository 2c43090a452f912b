/// A request's input as a handler sees it: raw values checked and converted against the path's
/// field specs, with defaults filled in.
public struct FieldData: Sendable {
    public let raw: [String: JSONValue]
    public let schema: [String: FieldSpec]

    public init(raw: [String: JSONValue], schema: [String: FieldSpec]) {
        self.raw = raw
        self.schema = schema
    }

    /// Whether the client sent the field at all (defaults do not count).
    public func has(_ name: String) -> Bool { raw[name] != nil }

    /// Converts every declared field the client sent, so type errors surface before the handler runs.
    public func validate() throws(TresorError) {
        for (name, value) in raw {
            guard let spec = schema[name] else { continue }
            _ = try convert(value, spec)
        }
        for spec in schema.values where spec.required && raw[spec.name] == nil {
            throw .badRequest("missing required field \"\(spec.name)\"")
        }
    }

    /// Fields the client sent that the path does not declare; Vault warns about these.
    public var unknownFields: [String] {
        raw.keys.filter { schema[$0] == nil }.sorted()
    }

    public func value(_ name: String) throws(TresorError) -> JSONValue? {
        guard let spec = schema[name] else {
            return raw[name]
        }
        if let given = raw[name] { return try convert(given, spec) }
        return spec.defaultValue
    }

    public func string(_ name: String) throws(TresorError) -> String {
        try value(name)?.stringValue ?? ""
    }

    public func int(_ name: String) throws(TresorError) -> Int64 {
        if case .int(let i)? = try value(name) { return i }
        return 0
    }

    public func bool(_ name: String) throws(TresorError) -> Bool {
        try value(name)?.boolValue ?? false
    }

    /// Seconds.
    public func duration(_ name: String) throws(TresorError) -> Int64 {
        try int(name)
    }

    public func strings(_ name: String) throws(TresorError) -> [String] {
        try value(name)?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    public func map(_ name: String) throws(TresorError) -> [String: JSONValue]? {
        try value(name)?.objectValue
    }

    public func stringMap(_ name: String) throws(TresorError) -> [String: String]? {
        try value(name)?.objectValue?.compactMapValues(\.stringValue)
    }

    private func conversionError(_ value: JSONValue, _ spec: FieldSpec, _ why: String) -> TresorError {
        .badRequest("error converting input for field \"\(spec.name)\": \(why)")
    }

    func convert(_ value: JSONValue, _ spec: FieldSpec) throws(TresorError) -> JSONValue {
        switch spec.type {
        case .any:
            return value
        case .string:
            switch value {
            case .string: return value
            case .int, .double, .bool: return .string(value.looseString)
            case .null: return .string("")
            default: throw conversionError(value, spec, "expected string, got \(value.typeName)")
            }
        case .int:
            switch value {
            case .int: return value
            case .double(let d) where SafeNumbers.int64(d) != nil: return .int(SafeNumbers.int64(d)!)
            case .string(let s):
                if let i = Int64(s.trimmingCharacters(in: .whitespaces)) { return .int(i) }
                throw conversionError(value, spec, "'' cannot parse value as 'int': strconv.ParseInt: invalid syntax")
            case .bool(let b): return .int(b ? 1 : 0)
            case .null: return .int(0)
            default: throw conversionError(value, spec, "expected number, got \(value.typeName)")
            }
        case .bool:
            switch value {
            case .bool: return value
            case .int(let i): return .bool(i != 0)
            case .string(let s):
                switch s.lowercased() {
                case "1", "t", "true": return .bool(true)
                case "0", "f", "false", "": return .bool(false)
                default: throw conversionError(value, spec, "'' cannot parse value as 'bool': strconv.ParseBool: invalid syntax")
                }
            case .null: return .bool(false)
            default: throw conversionError(value, spec, "expected bool, got \(value.typeName)")
            }
        case .duration:
            guard let seconds = DurationParser.seconds(value) else {
                throw conversionError(value, spec, "time: invalid duration \"\(value.looseString)\"")
            }
            // As Vault's framework: no duration field takes a negative value.
            guard seconds >= 0 else { throw conversionError(value, spec, "cannot provide negative value '\(seconds)'") }
            return .int(seconds)
        case .policyNames:
            guard case .array(let names) = try convert(value, FieldSpec(spec.name, .commaStringSlice)) else { return .array([]) }
            return .array(names.compactMap(\.stringValue).map(PolicyParser.normalize).filter { !$0.isEmpty }.map(JSONValue.string))
        case .commaStringSlice, .stringSlice:
            switch value {
            case .null: return .array([])
            case .string(let s):
                if spec.type == .stringSlice { return .array([.string(s)]) }
                let parts = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                return JSONValue(parts)
            case .array(let items):
                var out: [JSONValue] = []
                for item in items {
                    switch item {
                    case .string, .int, .double, .bool: out.append(.string(item.looseString))
                    default: throw conversionError(value, spec, "expected a list of strings")
                    }
                }
                return .array(out)
            case .int, .double, .bool: return .array([.string(value.looseString)])
            default: throw conversionError(value, spec, "expected a list of strings, got \(value.typeName)")
            }
        case .keyValuePairs:
            switch value {
            case .null: return .object([:])
            case .object(let map):
                var out: [String: JSONValue] = [:]
                for (k, v) in map {
                    switch v {
                    case .string, .int, .double, .bool: out[k] = .string(v.looseString)
                    case .null: out[k] = .string("")
                    default: throw conversionError(value, spec, "expected string values")
                    }
                }
                return .object(out)
            case .array(let items):
                // The CLI sends repeated `-metadata=k=v` as a list of "k=v" strings.
                var out: [String: JSONValue] = [:]
                for item in items {
                    guard let s = item.stringValue, let eq = s.firstIndex(of: "=") else {
                        throw conversionError(value, spec, "expected key=value pairs")
                    }
                    out[String(s[..<eq])] = .string(String(s[s.index(after: eq)...]))
                }
                return .object(out)
            default: throw conversionError(value, spec, "expected a map, got \(value.typeName)")
            }
        case .map:
            switch value {
            case .object: return value
            case .null: return .object([:])
            default: throw conversionError(value, spec, "expected a map, got \(value.typeName)")
            }
        }
    }
}

import Foundation

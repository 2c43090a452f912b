import Foundation
import GoTemplate
import Synchronization

/// One render's view of the world: the dependencies fetched so far, and those the template asked
/// for that are not fetched yet (consul-template renders, fetches what was missing, renders
/// again).
final class RenderContext: Sendable {
    let values: [Dependency: TemplateValue]
    private let state = Mutex<(used: [Dependency], missing: [Dependency])>(([], []))

    init(values: [Dependency: TemplateValue]) { self.values = values }

    var used: [Dependency] { state.withLock { $0.used } }
    var missing: [Dependency] { state.withLock { $0.missing } }

    func lookup(_ dependency: Dependency, empty: TemplateValue) -> TemplateValue {
        state.withLock { state in
            if !state.used.contains(dependency) { state.used.append(dependency) }
            if values[dependency] == nil, !state.missing.contains(dependency) { state.missing.append(dependency) }
        }
        return values[dependency] ?? empty
    }
}

/// consul-template's functions over a render context.
enum TemplateFunctions {
    static let names: Set<String> = Set(pure.keys).union(["secret", "secrets", "pkiCert", "file"])

    static func all(_ context: RenderContext) -> [String: GoTemplate.Function] {
        var functions = pure
        functions["secret"] = { args in
            let (path, data) = try Dependency.arguments(args, function: "secret")
            return context.lookup(.secret(path: path, data: data), empty: .null)
        }
        functions["secrets"] = { args in
            let (path, _) = try Dependency.arguments(args, function: "secrets")
            return context.lookup(.list(path: path), empty: .array([]))
        }
        functions["pkiCert"] = { args in
            let (path, data) = try Dependency.arguments(args, function: "pkiCert")
            return context.lookup(.pkiCert(path: path, data: data), empty: .null)
        }
        functions["file"] = { args in
            guard args.count == 1 else { throw GoTemplate.Error("file: exactly one path is required") }
            return context.lookup(.file(path: args[0].text), empty: .string(""))
        }
        return functions
    }

    static func strings(_ value: TemplateValue) throws -> [String] {
        switch value {
        case .array(let items): return items.map(\.text)
        case .null: return []
        default: throw GoTemplate.Error("expected a list, got \(GoFormat.value(value, topLevel: false))")
        }
    }

    static func one(_ args: [TemplateValue], _ name: String) throws -> TemplateValue {
        guard args.count == 1 else { throw GoTemplate.Error("wrong number of args for \(name): want 1 got \(args.count)") }
        return args[0]
    }

    static func two(_ args: [TemplateValue], _ name: String) throws -> (TemplateValue, TemplateValue) {
        guard args.count == 2 else { throw GoTemplate.Error("wrong number of args for \(name): want 2 got \(args.count)") }
        return (args[0], args[1])
    }

    static func number(_ value: TemplateValue) throws -> Double {
        if let n = value.numericValue { return n }
        if case .string(let s) = value, let n = Double(s) { return n }
        throw GoTemplate.Error("expected a number, got \(GoFormat.value(value, topLevel: false))")
    }

    static func arithmetic(_ name: String, _ args: [TemplateValue], _ op: (Double, Double) throws -> Double) throws -> TemplateValue {
        // consul-template: the piped value comes last, so `{{ 3 | subtract 1 }}` is 3 - 1.
        let (b, a) = try two(args, name)
        let result = try op(try number(a), try number(b))
        let integral = [a, b].allSatisfy { if case .double = $0 { return false }; return !GoFormat.value($0, topLevel: false).contains(".") }
        if integral, result == result.rounded(), abs(result) < 9e15 { return .int(Int(result)) }
        return .double(result)
    }

    static let pure: [String: GoTemplate.Function] = [
        "env": { args in .string(ProcessInfo.processInfo.environment[try one(args, "env").text] ?? "") },
        "toJSON": { args in .string(GoJSON.encode(try one(args, "toJSON"))) },
        "toJSONPretty": { args in .string(GoJSON.encode(try one(args, "toJSONPretty"), indent: "  ")) },
        "toYAML": { args in .string(try GoYAML.encode(try one(args, "toYAML"))) },
        "parseJSON": { args in
            let text = try one(args, "parseJSON").text
            guard text.utf8.count <= 16 * 1024 * 1024, let parsed = try? TresorJSONBridge.parse(text) else {
                throw GoTemplate.Error("parseJSON: invalid JSON")
            }
            return parsed
        },
        "base64Encode": { args in .string(Data(try one(args, "base64Encode").text.utf8).base64EncodedString()) },
        "base64Decode": { args in
            guard let data = Data(base64Encoded: try one(args, "base64Decode").text) else { throw GoTemplate.Error("base64Decode: illegal base64 data") }
            return .string(String(decoding: data, as: UTF8.self))
        },
        "base64URLEncode": { args in
            .string(Data(try one(args, "base64URLEncode").text.utf8).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"))
        },
        "base64URLDecode": { args in
            let text = try one(args, "base64URLDecode").text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            guard let data = Data(base64Encoded: text) else { throw GoTemplate.Error("base64URLDecode: illegal base64 data") }
            return .string(String(decoding: data, as: UTF8.self))
        },
        "split": { args in
            let (separator, text) = try two(args, "split")
            let s = text.text
            guard !s.isEmpty else { return .array([]) }
            if separator.text.isEmpty { return .array(s.map { .string(String($0)) }) }
            return .array(s.components(separatedBy: separator.text).map { .string($0) })
        },
        "join": { args in
            let (separator, list) = try two(args, "join")
            return .string(try strings(list).joined(separator: separator.text))
        },
        "trimSpace": { args in .string(try one(args, "trimSpace").text.trimmingCharacters(in: .whitespacesAndNewlines)) },
        "trim": { args in
            let (cutset, text) = try two(args, "trim")
            return .string(text.text.trimmingCharacters(in: CharacterSet(charactersIn: cutset.text)))
        },
        "trimPrefix": { args in
            let (prefix, text) = try two(args, "trimPrefix")
            return .string(text.text.hasPrefix(prefix.text) ? String(text.text.dropFirst(prefix.text.count)) : text.text)
        },
        "trimSuffix": { args in
            let (suffix, text) = try two(args, "trimSuffix")
            return .string(text.text.hasSuffix(suffix.text) ? String(text.text.dropLast(suffix.text.count)) : text.text)
        },
        "replaceAll": { args in
            guard args.count == 3 else { throw GoTemplate.Error("wrong number of args for replaceAll: want 3 got \(args.count)") }
            return .string(args[2].text.replacingOccurrences(of: args[0].text, with: args[1].text))
        },
        "contains": { args in
            let (needle, haystack) = try two(args, "contains")
            return .bool(try contains(haystack, needle))
        },
        "in": { args in
            let (haystack, needle) = try two(args, "in")
            return .bool(try contains(haystack, needle))
        },
        "containsAll": { args in
            let (needles, haystack) = try two(args, "containsAll")
            guard case .array(let items) = needles else { throw GoTemplate.Error("containsAll: expected a list") }
            return .bool(try items.allSatisfy { try contains(haystack, $0) })
        },
        "containsAny": { args in
            let (needles, haystack) = try two(args, "containsAny")
            guard case .array(let items) = needles else { throw GoTemplate.Error("containsAny: expected a list") }
            return .bool(try items.contains { try contains(haystack, $0) })
        },
        "toLower": { args in .string(try one(args, "toLower").text.lowercased()) },
        "toUpper": { args in .string(try one(args, "toUpper").text.uppercased()) },
        "toTitle": { args in .string(try one(args, "toTitle").text.capitalized) },
        "parseBool": { args in
            switch try one(args, "parseBool").text {
            case "1", "t", "T", "TRUE", "true", "True": return .bool(true)
            case "0", "f", "F", "FALSE", "false", "False", "": return .bool(false)
            case let other: throw GoTemplate.Error("parseBool: invalid syntax \"\(other)\"")
            }
        },
        "parseInt": { args in
            let text = try one(args, "parseInt").text
            guard let value = Int(text) else { throw GoTemplate.Error("strconv.ParseInt: parsing \"\(text)\": invalid syntax") }
            return .int(value)
        },
        "parseFloat": { args in
            let text = try one(args, "parseFloat").text
            guard let value = Double(text) else { throw GoTemplate.Error("strconv.ParseFloat: parsing \"\(text)\": invalid syntax") }
            return .double(value)
        },
        "add": { args in try arithmetic("add", args) { $0 + $1 } },
        "subtract": { args in try arithmetic("subtract", args) { $0 - $1 } },
        "multiply": { args in try arithmetic("multiply", args) { $0 * $1 } },
        "divide": { args in
            try arithmetic("divide", args) { a, b in
                guard b != 0 else { throw GoTemplate.Error("divide: division by zero") }
                return a / b
            }
        },
        "modulo": { args in
            try arithmetic("modulo", args) { a, b in
                guard b != 0 else { throw GoTemplate.Error("modulo: division by zero") }
                return a.truncatingRemainder(dividingBy: b)
            }
        },
        "indent": { args in
            let (count, text) = try two(args, "indent")
            guard let spaces = count.integerValue, (0...1000).contains(spaces) else { throw GoTemplate.Error("indent: bad width") }
            let pad = String(repeating: " ", count: spaces)
            return .string(text.text.split(separator: "\n", omittingEmptySubsequences: false).map { pad + $0 }.joined(separator: "\n"))
        },
        "timestamp": { args in
            let formatter = ISO8601DateFormatter()
            formatter.timeZone = TimeZone(identifier: "UTC")
            guard args.isEmpty else { throw GoTemplate.Error("timestamp: custom layouts are not supported") }
            return .string(formatter.string(from: Date()))
        },
        "sha256Hex": { args in .string(SHA256Hex.digest(try one(args, "sha256Hex").text)) },
    ]

    /// consul-template's `in`: a substring of a string, or an element of a list.
    static func contains(_ haystack: TemplateValue, _ needle: TemplateValue) throws -> Bool {
        switch haystack {
        case .string(let s): return s.contains(needle.text)
        case .array(let items): return items.contains { $0 == needle || $0.text == needle.text }
        case .map(let map): return map[needle.text] != nil
        case .null: return false
        default: throw GoTemplate.Error("cannot search in \(GoFormat.value(haystack, topLevel: false))")
        }
    }
}

extension TemplateValue {
    var numericValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .number(let n): return Double(n)
        default: return nil
        }
    }

    var integerValue: Int? {
        switch self {
        case .int(let i): return i
        case .number(let n): return Int(n)
        default: return nil
        }
    }
}

import HCL

/// A parsed ACL policy: rules by path pattern.
public struct Policy: Sendable {
    public struct Rule: Sendable {
        public var pattern: String
        public var capabilities: Capabilities
        /// Parameter constraints: parameter name → allowed (or denied) values; an empty list means any value.
        public var allowedParameters: [String: [JSONValue]]
        public var deniedParameters: [String: [JSONValue]]
        public var requiredParameters: [String]
    }

    public let name: String
    public let rules: [Rule]
    public let text: String
    /// Bumped on every write; clients may use it for check-and-set.
    public var version: Int64 = 0
    public var modified: Date?

    /// The fields policy reads answer with; `textKey` is "policy" or (legacy) "rules".
    public func json(textKey: String) -> [String: JSONValue] {
        var data: [String: JSONValue] = [
            "name": .string(name),
            textKey: .string(text),
            "version": .int(version),
            "cas_required": false,
            "allow_wildcards_in_identity_templates": false,
            "allow_slashes_in_identity_templates": false,
        ]
        if let modified { data["modified"] = .string(GoFormat.time(modified)) }
        return data
    }
}

/// A policy as stored: its text plus bookkeeping.
struct StoredPolicy: Codable, Sendable {
    var name: String
    var text: String
    var version: Int64
    var modified: Date
}

/// Turns policy text (HCL or JSON) into a `Policy`, with errors that say where and why.
public enum PolicyParser {
    static let legacyPolicies: [String: Capabilities] = [
        "deny": .deny,
        "read": [.read, .list],
        "write": [.create, .read, .update, .delete, .list, .patch],
        "sudo": [.create, .read, .update, .delete, .list, .patch, .sudo],
    ]

    public static func parse(name: String, text: String) throws(TresorError) -> Policy {
        let document: HCLObject
        do {
            document = try HCL.parse(text)
        } catch {
            throw .badRequest("failed to parse policy: \(error)")
        }
        var rules: [Policy.Rule] = []
        for (key, value) in document.entries {
            switch key {
            case "path":
                guard case .object(let byPath) = value else {
                    throw .badRequest("failed to parse policy: path must be followed by a quoted pattern and a block")
                }
                for (pattern, body) in byPath.entries {
                    rules.append(try rule(pattern: pattern, body: body))
                }
            case "name":
                continue
            default:
                throw .badRequest("failed to parse policy: invalid key \"\(key)\"")
            }
        }
        return Policy(name: name, rules: rules, text: text)
    }

    private static func rule(pattern rawPattern: String, body: HCLValue) throws(TresorError) -> Policy.Rule {
        guard case .object(let fields) = body else {
            throw .badRequest("failed to parse policy: path \"\(rawPattern)\" must be a block")
        }
        // Vault ignores a leading slash so that "/secret/*" and "secret/*" mean the same.
        let pattern = rawPattern.hasPrefix("/") ? String(rawPattern.dropFirst()) : rawPattern
        var rule = Policy.Rule(pattern: pattern, capabilities: [], allowedParameters: [:], deniedParameters: [:], requiredParameters: [])
        for (key, value) in fields.entries {
            switch key {
            case "capabilities":
                guard case .list(let items) = value else {
                    throw .badRequest("failed to parse policy: path \"\(rawPattern)\": capabilities must be a list")
                }
                for item in items {
                    guard case .string(let name) = item, let cap = Capabilities(name: name) else {
                        throw .badRequest("failed to parse policy: path \"\(rawPattern)\": invalid capability \(describe(item))")
                    }
                    rule.capabilities.insert(cap)
                }
            case "policy":
                guard case .string(let legacy) = value, let caps = legacyPolicies[legacy] else {
                    throw .badRequest("failed to parse policy: path \"\(rawPattern)\": invalid policy \(describe(value))")
                }
                rule.capabilities.formUnion(caps)
            case "allowed_parameters":
                rule.allowedParameters = try parameters(value, rawPattern, key)
            case "denied_parameters":
                rule.deniedParameters = try parameters(value, rawPattern, key)
            case "required_parameters":
                guard case .list(let items) = value else {
                    throw .badRequest("failed to parse policy: path \"\(rawPattern)\": required_parameters must be a list")
                }
                rule.requiredParameters = items.compactMap { if case .string(let s) = $0 { s.lowercased() } else { nil } }
            case "min_wrapping_ttl", "max_wrapping_ttl", "control_group", "mfa_methods", "comment", "pagination_limit":
                continue
            default:
                throw .badRequest("failed to parse policy: path \"\(rawPattern)\": invalid key \"\(key)\"")
            }
        }
        if rule.capabilities.contains(.deny) { rule.capabilities = .deny }
        return rule
    }

    /// Parameters whose values are policy names: the handler sees them normalised, so the
    /// policy's own values are normalised too ("Admin" in a policy means "admin").
    static let policyNameParameters: Set<String> = ["policies", "token_policies", "allowed_policies", "disallowed_policies", "identity_policies"]

    private static func parameters(_ value: HCLValue, _ pattern: String, _ key: String) throws(TresorError) -> [String: [JSONValue]] {
        guard case .object(let object) = value else {
            throw .badRequest("failed to parse policy: path \"\(pattern)\": \(key) must be a map")
        }
        var out: [String: [JSONValue]] = [:]
        for (name, allowed) in object.entries {
            guard case .list(let items) = allowed else {
                throw .badRequest("failed to parse policy: path \"\(pattern)\": \(key).\(name) must be a list")
            }
            // Names are case-insensitive; values of policy-name parameters compare normalised.
            let values = items.map(json).map { value -> JSONValue in
                guard policyNameParameters.contains(name.lowercased()), case .string(let s) = value else { return value }
                return .string(s.contains("*") ? s.lowercased() : normalize(s))
            }
            out[name.lowercased(), default: []].append(contentsOf: values)
        }
        return out
    }

    static func json(_ value: HCLValue) -> JSONValue {
        switch value {
        case .string(let s): return .string(s)
        case .number(let d): return SafeNumbers.int64(d).map { .int($0) } ?? .double(d)
        case .bool(let b): return .bool(b)
        case .null: return .null
        case .list(let items): return .array(items.map(json))
        case .object(let o): return .object(Dictionary(o.entries.map { ($0.key, json($0.value)) }, uniquingKeysWith: { _, b in b }))
        }
    }

    private static func describe(_ value: HCLValue) -> String {
        if case .string(let s) = value { return "\"\(s)\"" }
        return "\(json(value).looseString)"
    }

    /// Policy names are case-insensitive and trimmed, so " Root" cannot pose as "root"; and in
    /// Unicode's composed form (NFC), so two spellings of one name are one name byte for byte
    /// (token policy lists and the policy caches compare them as strings, storage as bytes).
    public static func normalize(_ name: String) -> String {
        let lowered = name.trimmingWhitespace().lowercased()
        return lowered.utf8.allSatisfy { $0 < 0x80 } ? lowered : lowered.precomposedStringWithCanonicalMapping
    }
}

import Foundation

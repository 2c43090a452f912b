/// Several policies compiled into one lookup structure. Built once per set of policy names and
/// cached; checking a request is a dictionary probe plus a short scan of wildcard rules.
public struct ACL: Sendable {
    struct CompiledRule: Sendable {
        var pattern: String
        var capabilities: Capabilities
        var allowedParameters: [String: [JSONValue]]
        var deniedParameters: [String: [JSONValue]]
        var requiredParameters: [String]
        let segments: [Substring]
        let isGlob: Bool
        let priority: Priority

        init(_ rule: Policy.Rule) {
            pattern = rule.pattern
            capabilities = rule.capabilities
            allowedParameters = rule.allowedParameters
            deniedParameters = rule.deniedParameters
            requiredParameters = rule.requiredParameters
            isGlob = rule.pattern.hasSuffix("*")
            let body = isGlob ? String(rule.pattern.dropLast()) : rule.pattern
            segments = body.split(separator: "/", omittingEmptySubsequences: false)
            priority = Priority(rule.pattern)
        }

        mutating func merge(_ other: Policy.Rule) {
            if capabilities.contains(.deny) || other.capabilities.contains(.deny) {
                capabilities = .deny
            } else {
                capabilities.formUnion(other.capabilities)
            }
            for (k, v) in other.allowedParameters { allowedParameters[k] = Self.mergeValues(allowedParameters[k], v) }
            for (k, v) in other.deniedParameters { deniedParameters[k] = Self.mergeValues(deniedParameters[k], v) }
            requiredParameters = Array(Set(requiredParameters + other.requiredParameters)).sorted()
        }

        /// An empty list means "any value"; merging with it keeps "any".
        static func mergeValues(_ a: [JSONValue]?, _ b: [JSONValue]) -> [JSONValue] {
            guard let a else { return b }
            if a.isEmpty || b.isEmpty { return [] }
            return a + b
        }

        /// Compares bytes, not Characters: storage keys are bytes, and Swift's String equality
        /// would treat different byte sequences as one path (canonical equivalence).
        func matches(_ path: String) -> Bool {
            let pathSegments = path.split(separator: "/", omittingEmptySubsequences: false)
            for (i, segment) in segments.enumerated() {
                let last = i == segments.count - 1
                guard i < pathSegments.count else { return false }
                if last && isGlob {
                    if segment == "+" { return true }
                    let rest = pathSegments[i...].joined(separator: "/")
                    return rest.utf8.starts(with: segment.utf8)
                }
                if segment == "+" { continue }
                if !segment.utf8.elementsEqual(pathSegments[i].utf8) { return false }
            }
            return pathSegments.count == segments.count
        }
    }

    /// Vault's documented precedence between two matching patterns; higher wins.
    struct Priority: Comparable, Sendable {
        let firstWildcard: Int
        let notGlob: Bool
        let fewerPlus: Int
        let length: Int
        let pattern: String

        init(_ pattern: String) {
            let chars = Array(pattern)
            firstWildcard = chars.firstIndex(where: { $0 == "*" || $0 == "+" }) ?? Int.max
            notGlob = !pattern.hasSuffix("*")
            fewerPlus = -pattern.split(separator: "/", omittingEmptySubsequences: false).filter { $0 == "+" }.count
            length = chars.count
            self.pattern = pattern
        }

        static func < (a: Priority, b: Priority) -> Bool {
            if a.firstWildcard != b.firstWildcard { return a.firstWildcard < b.firstWildcard }
            if a.notGlob != b.notGlob { return !a.notGlob }
            if a.fewerPlus != b.fewerPlus { return a.fewerPlus < b.fewerPlus }
            if a.length != b.length { return a.length < b.length }
            return a.pattern < b.pattern
        }
    }

    public let isRoot: Bool
    private let exact: [String: CompiledRule]
    /// Wildcard rules, highest priority first, so the first match is the winner.
    private let wildcard: [CompiledRule]

    public init(policies: [Policy]) {
        isRoot = policies.contains { $0.name == "root" }
        var byPattern: [String: CompiledRule] = [:]
        for policy in policies {
            for rule in policy.rules {
                if byPattern[rule.pattern] != nil {
                    byPattern[rule.pattern]!.merge(rule)
                } else {
                    byPattern[rule.pattern] = CompiledRule(rule)
                }
            }
        }
        exact = byPattern.filter { !$0.key.contains("*") && !$0.key.contains("+") }
        wildcard = byPattern.values.filter { $0.pattern.contains("*") || $0.pattern.contains("+") }
            .sorted { $0.priority > $1.priority }
    }

    func rule(for path: String) -> CompiledRule? {
        if let rule = exact[path], rule.pattern.utf8.elementsEqual(path.utf8) { return rule }
        return wildcard.first { $0.matches(path) }
    }

    /// The rule that governs `operation` on `path`. A LIST arrives with a trailing "/", and a
    /// policy may name the folder with or without it, so both forms count, in Vault's order:
    /// exact rules first (with, then without the slash), then patterns (likewise). A `deny` on
    /// `secret/metadata/private` therefore holds against `LIST secret/metadata/private/` even
    /// where `secret/metadata/*` grants list.
    func rule(for path: String, _ operation: LogicalOperation) -> CompiledRule? {
        guard operation == .list, path.hasSuffix("/") else { return rule(for: path) }
        let folder = String(path.dropLast())
        for candidate in [path, folder] {
            if let rule = exact[candidate], rule.pattern.utf8.elementsEqual(candidate.utf8) { return rule }
        }
        return wildcard.first { $0.matches(path) } ?? wildcard.first { $0.matches(folder) }
    }

    /// The capabilities granted on `path`, as the capabilities endpoints report them.
    public func capabilities(on path: String) -> Capabilities {
        if isRoot { return [.create, .read, .update, .delete, .list, .sudo, .patch] }
        return rule(for: path)?.capabilities ?? .deny
    }

    public func capabilityNames(on path: String) -> [String] {
        if isRoot { return ["root"] }
        let caps = capabilities(on: path)
        return caps.isEmpty ? ["deny"] : caps.names
    }

    /// Whether `operation` on `path` with `data` is allowed; `needsSudo` for root-protected paths.
    /// Whether `operation` on `path` with `data` is allowed; `needsSudo` for root-protected paths.
    ///
    /// `data` must be the parameters as the handler will read them (see `Core.parametersForACL`):
    /// comma lists already split, policy names already normalised. Checking the raw request
    /// instead would let `"ok,root"` or `"Root"` past a rule that denies `root`.
    public func allows(_ operation: LogicalOperation, path: String, data: [String: JSONValue], needsSudo: Bool) -> Bool {
        if isRoot { return true }
        if operation == .help { return true }
        guard let rule = rule(for: path, operation), !rule.capabilities.contains(.deny) else { return false }
        let needed = Capabilities.required(for: operation).union(needsSudo ? .sudo : [])
        guard rule.capabilities.isSuperset(of: needed) else { return false }
        switch operation {
        case .read, .create, .update, .patch:
            // Reads too: their parameters come from the query string and reach the handler.
            return parametersAllowed(rule, data)
        default:
            return true
        }
    }

    private func parametersAllowed(_ rule: CompiledRule, _ given: [String: JSONValue]) -> Bool {
        // Parameter names are case-insensitive in policies, as in Vault.
        var data: [String: JSONValue] = [:]
        for (name, value) in given { data[name.lowercased()] = value }
        for name in rule.requiredParameters where data[name.lowercased()] == nil { return false }
        if data.isEmpty { return true }
        if !rule.deniedParameters.isEmpty {
            if let any = rule.deniedParameters["*"], any.isEmpty { return false }
            for (name, value) in data {
                guard let denied = rule.deniedParameters[name] ?? rule.deniedParameters["*"] else { continue }
                // One denied element is enough: a list is denied if any of its values is.
                if denied.isEmpty || Self.anyElement(of: value, in: denied) { return false }
            }
        }
        if !rule.allowedParameters.isEmpty {
            if rule.allowedParameters.count == 1, let any = rule.allowedParameters["*"], any.isEmpty { return true }
            for (name, value) in data {
                guard let allowed = rule.allowedParameters[name] ?? rule.allowedParameters["*"] else { return false }
                // Every element must be allowed.
                if !allowed.isEmpty && !Self.everyElement(of: value, in: allowed) { return false }
            }
        }
        return true
    }

    /// Whether the value, or any element of a list value, matches the policy's list.
    static func anyElement(of value: JSONValue, in list: [JSONValue]) -> Bool {
        if valueMatches(value, list) { return true }
        if case .array(let items) = value { return items.contains { valueMatches($0, list) } }
        return false
    }

    /// Whether the value, or every element of a list value, matches the policy's list.
    static func everyElement(of value: JSONValue, in list: [JSONValue]) -> Bool {
        if valueMatches(value, list) { return true }
        if case .array(let items) = value { return !items.isEmpty && items.allSatisfy { valueMatches($0, list) } }
        return false
    }

    /// One value against a policy's list: equal values match, and a string pattern may glob with
    /// a leading and/or trailing "*" (patterns shorter than two characters match exactly), as
    /// Vault's GlobbedStringsMatch does. Strings compare as bytes.
    static func valueMatches(_ value: JSONValue, _ list: [JSONValue]) -> Bool {
        for candidate in list {
            if case .string(let pattern) = candidate, case .string(let text) = value {
                if globMatches(pattern, text) { return true }
            } else if case .string(let pattern) = candidate, !value.isContainer {
                if globMatches(pattern, value.looseString) { return true }
            } else if candidate == value {
                return true
            }
        }
        return false
    }

    static func globMatches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        guard p.count >= 2 else { return p == t }
        let star = UInt8(ascii: "*")
        switch (p.first == star, p.last == star) {
        case (true, true): return t.firstRange(of: p.dropFirst().dropLast()) != nil
        case (true, false): return t.ends(with: p.dropFirst())
        case (false, true): return t.starts(with: p.dropLast())
        case (false, false): return p == t
        }
    }
}

private extension JSONValue {
    var isContainer: Bool {
        switch self {
        case .array, .object: return true
        default: return false
        }
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: some Collection<UInt8>) -> Bool {
        count >= suffix.count && self[(count - suffix.count)...].elementsEqual(suffix)
    }
}

extension ACL {
    /// Whether any rule grants something at or below `prefix`: enough to learn that a mount exists.
    public func hasAnyAccess(underPrefix prefix: String) -> Bool {
        if isRoot { return true }
        let grants: (CompiledRule) -> Bool = { !$0.capabilities.contains(.deny) && !$0.capabilities.isEmpty }
        for rule in exact.values where rule.pattern.hasPrefix(prefix) && grants(rule) { return true }
        for rule in wildcard where grants(rule) {
            if rule.pattern.hasPrefix(prefix) || rule.matches(prefix) { return true }
            // A glob such as "sec*" covers the prefix too.
            if rule.isGlob, prefix.hasPrefix(rule.pattern.dropLast()) { return true }
            if rule.pattern.contains("+"), rule.matchesAsPrefix(of: prefix) { return true }
        }
        return false
    }
}

extension ACL.CompiledRule {
    /// Whether the first segments of this rule could match a path starting with `prefix`.
    func matchesAsPrefix(of prefix: String) -> Bool {
        let prefixSegments = prefix.split(separator: "/", omittingEmptySubsequences: true)
        for (i, segment) in prefixSegments.enumerated() {
            guard i < segments.count else { return isGlob }
            if segments[i] == "+" { continue }
            if i == segments.count - 1 && isGlob { return segment.hasPrefix(segments[i]) }
            if segments[i] != segment { return false }
        }
        return true
    }
}

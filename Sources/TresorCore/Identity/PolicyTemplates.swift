import Foundation

/// Policy path templates (`secret/data/{{identity.entity.name}}/*`), filled from the token's
/// entity and groups at request time. A rule whose template cannot be filled is left out, and so
/// is one whose value would widen the path: a value holding `+`, `*` or `/` (GHSA-59w7-v8rr-pr4p).
struct IdentityTemplateContext: Sendable {
    var entityID: String
    var entityName: String
    var entityMetadata: [String: String]
    /// Alias by mount accessor.
    var aliases: [String: (id: String, name: String, metadata: [String: String])]
    var groupsByID: [String: (name: String, metadata: [String: String])]

    func value(_ expression: String) -> String? {
        let parts = expression.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts[0] == "identity" else { return nil }
        switch (parts[1], parts[2]) {
        case ("entity", "id") where parts.count == 3: return entityID
        case ("entity", "name") where parts.count == 3: return entityName
        case ("entity", "metadata") where parts.count == 4: return entityMetadata[parts[3]]
        case ("entity", "aliases") where parts.count >= 5:
            guard let alias = aliases[parts[3]] else { return nil }
            switch parts[4] {
            case "id" where parts.count == 5: return alias.id
            case "name" where parts.count == 5: return alias.name
            case "metadata" where parts.count == 6: return alias.metadata[parts[5]]
            default: return nil
            }
        case ("groups", "ids") where parts.count >= 5:
            guard let group = groupsByID[parts[3]] else { return nil }
            switch parts[4] {
            case "name" where parts.count == 5: return group.name
            case "metadata" where parts.count == 6: return group.metadata[parts[5]]
            default: return nil
            }
        case ("groups", "names") where parts.count >= 5:
            guard let (id, group) = groupsByID.first(where: { $0.value.name == parts[3] }) else { return nil }
            switch parts[4] {
            case "id" where parts.count == 5: return id
            case "metadata" where parts.count == 6: return group.metadata[parts[5]]
            default: return nil
            }
        default: return nil
        }
    }

    /// The pattern with every `{{ ... }}` filled, or nil when one cannot be (or would widen it).
    func fill(_ pattern: String) -> String? {
        var out = ""
        var rest = Substring(pattern)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else { return nil }
            let expression = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard let value = value(expression), !value.isEmpty,
                  !value.contains(where: { $0 == "+" || $0 == "*" || $0 == "/" }) else { return nil }
            out += value
            rest = rest[close.upperBound...]
        }
        return out + rest
    }
}

extension Policy {
    var isTemplated: Bool { rules.contains { $0.pattern.contains("{{") } }

    /// The policy with its templated rules filled for one entity (or dropped).
    func filled(_ context: IdentityTemplateContext?) -> Policy {
        guard isTemplated else { return self }
        let kept = rules.compactMap { rule -> Rule? in
            guard rule.pattern.contains("{{") else { return rule }
            guard let context, let pattern = context.fill(rule.pattern) else { return nil }
            var filled = rule
            filled.pattern = pattern
            return filled
        }
        return Policy(name: name, rules: kept, text: text)
    }
}

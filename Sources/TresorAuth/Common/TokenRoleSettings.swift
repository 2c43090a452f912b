import TresorCore

/// The `token_*` fields every auth method's roles and users share, and what they mean for the
/// token a login gets.
public struct TokenRoleSettings: Codable, Sendable, Equatable {
    var policies: [String] = []
    var ttl: Int64 = 0
    var maxTTL: Int64 = 0
    var period: Int64 = 0
    var explicitMaxTTL: Int64 = 0
    var numUses: Int64 = 0
    var boundCIDRs: [String] = []
    var noDefaultPolicy = false
    var type = "default"

    static let fields: [FieldSpec] = [
        FieldSpec("token_policies", .policyNames), FieldSpec("policies", .policyNames),
        FieldSpec("token_ttl", .duration), FieldSpec("ttl", .duration),
        FieldSpec("token_max_ttl", .duration), FieldSpec("max_ttl", .duration),
        FieldSpec("token_period", .duration), FieldSpec("period", .duration),
        FieldSpec("token_explicit_max_ttl", .duration), FieldSpec("token_num_uses", .int),
        FieldSpec("token_bound_cidrs", .commaStringSlice), FieldSpec("bound_cidrs", .commaStringSlice),
        FieldSpec("token_no_default_policy", .bool), FieldSpec("token_type", .string),
    ]

    /// Applies the fields the request sent; the `token_` names win over their legacy aliases.
    mutating func apply(_ fields: FieldData) throws {
        func pick(_ name: String, _ legacy: String?) -> String? {
            if fields.has(name) { return name }
            if let legacy, fields.has(legacy) { return legacy }
            return nil
        }
        if let key = pick("token_policies", "policies") { policies = try fields.strings(key).map(PolicyParser.normalize) }
        if let key = pick("token_ttl", "ttl") { ttl = try fields.duration(key) }
        if let key = pick("token_max_ttl", "max_ttl") { maxTTL = try fields.duration(key) }
        if let key = pick("token_period", "period") { period = try fields.duration(key) }
        if fields.has("token_explicit_max_ttl") { explicitMaxTTL = try fields.duration("token_explicit_max_ttl") }
        if fields.has("token_num_uses") { numUses = try fields.int("token_num_uses") }
        if let key = pick("token_bound_cidrs", "bound_cidrs") {
            boundCIDRs = try fields.strings(key)
            try CIDR.validate(boundCIDRs)
        }
        if fields.has("token_no_default_policy") { noDefaultPolicy = try fields.bool("token_no_default_policy") }
        if fields.has("token_type") {
            // `default` takes the mount's tuned type (service unless tuned otherwise).
            let requested = try fields.string("token_type")
            guard ["", "default", "service", "batch"].contains(requested) else {
                throw TresorError.badRequest("invalid 'token_type' value \"\(requested)\"")
            }
            type = requested.isEmpty ? "default" : requested
        }
        guard ttl >= 0, maxTTL >= 0, period >= 0, explicitMaxTTL >= 0, numUses >= 0 else {
            throw TresorError.badRequest("token TTLs and use counts cannot be negative")
        }
        if type == "batch" && period > 0 {
            throw TresorError.badRequest("'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens")
        }
        if maxTTL > 0 && ttl > maxTTL { throw TresorError.badRequest("token_ttl cannot be greater than token_max_ttl") }
    }

    var json: [String: JSONValue] {
        [
            "token_policies": JSONValue(policies), "policies": JSONValue(policies),
            "token_ttl": .int(ttl), "token_max_ttl": .int(maxTTL), "token_period": .int(period),
            "token_explicit_max_ttl": .int(explicitMaxTTL), "token_num_uses": .int(numUses),
            "token_bound_cidrs": JSONValue(boundCIDRs), "token_no_default_policy": .bool(noDefaultPolicy),
            "token_type": .string(type),
        ]
    }

    func grant(displayName: String, metadata: [String: String], internalData: [String: String]) -> LoginGrant {
        let limits: [Int64] = [maxTTL, explicitMaxTTL].filter { $0 > 0 }
        let cap: Int64 = limits.min() ?? 0
        return LoginGrant(policies: policies, metadata: metadata, displayName: displayName, ttl: ttl, maxTTL: cap,
                          period: period, numUses: numUses, noDefaultPolicy: noDefaultPolicy, boundCIDRs: boundCIDRs,
                          internalData: internalData, tokenType: type)
    }
}

enum AuthNames {
    /// "auth/userpass/" → "userpass": how Vault prefixes display names of login tokens.
    static func displayPrefix(_ mount: MountEntry) -> String {
        mount.path.split(separator: "/").joined(separator: "-")
    }

    /// Vault's glob matching for bound names: "*" alone, or a trailing "*" for prefixes.
    static func globMatches(_ patterns: [String], _ value: String) -> Bool {
        patterns.contains { pattern in
            if pattern == "*" { return true }
            if pattern.hasSuffix("*") { return value.utf8.starts(with: pattern.dropLast().utf8) }
            return pattern.utf8.elementsEqual(value.utf8)
        }
    }
}

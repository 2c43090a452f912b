import Foundation

/// A token role (`auth/token/roles/:name`): what tokens created through `auth/token/create/:name`
/// may carry. It lets a platform mint tokens for services without holding root: the role, not
/// the caller's own policies, bounds the new token's policies.
struct TokenRole: Codable, Sendable, Equatable {
    var name: String
    var allowedPolicies: [String] = []
    var disallowedPolicies: [String] = []
    var allowedPoliciesGlob: [String] = []
    var disallowedPoliciesGlob: [String] = []
    var allowedEntityAliases: [String]?
    var orphan = false
    var renewable = true
    var pathSuffix = ""
    var period: Int64 = 0
    var explicitMaxTTL: Int64 = 0
    var boundCIDRs: [String] = []
    var noDefaultPolicy = false
    var numUses: Int64 = 0
    var tokenType = "default-service"

    static let prefix = "sys/token/roles/"

    static let fields: [FieldSpec] = [
        FieldSpec("role_name", .string), FieldSpec("allowed_policies", .policyNames), FieldSpec("disallowed_policies", .policyNames),
        FieldSpec("allowed_policies_glob", .commaStringSlice), FieldSpec("disallowed_policies_glob", .commaStringSlice),
        FieldSpec("allowed_entity_aliases", .commaStringSlice), FieldSpec("orphan", .bool), FieldSpec("renewable", .bool, default: true),
        FieldSpec("path_suffix", .string), FieldSpec("period", .duration), FieldSpec("token_period", .duration),
        FieldSpec("explicit_max_ttl", .duration), FieldSpec("token_explicit_max_ttl", .duration),
        FieldSpec("bound_cidrs", .commaStringSlice), FieldSpec("token_bound_cidrs", .commaStringSlice),
        FieldSpec("token_no_default_policy", .bool), FieldSpec("token_num_uses", .int), FieldSpec("token_type", .string),
        FieldSpec("token_ttl", .duration), FieldSpec("token_max_ttl", .duration), FieldSpec("token_policies", .policyNames),
    ]

    /// A write to the role: fields given replace what was there, the rest stays.
    mutating func update(_ fields: FieldData) throws(TresorError) {
        for refused in ["token_ttl", "token_max_ttl", "token_policies"] where fields.has(refused) {
            throw TresorError.badRequest("\(refused) is not a token role setting; use allowed_policies, token_period or token_explicit_max_ttl")
        }
        if fields.has("allowed_policies") { allowedPolicies = try fields.strings("allowed_policies") }
        if fields.has("disallowed_policies") { disallowedPolicies = try fields.strings("disallowed_policies") }
        if fields.has("allowed_policies_glob") { allowedPoliciesGlob = try fields.strings("allowed_policies_glob") }
        if fields.has("disallowed_policies_glob") { disallowedPoliciesGlob = try fields.strings("disallowed_policies_glob") }
        if fields.has("allowed_entity_aliases") { allowedEntityAliases = try fields.strings("allowed_entity_aliases") }
        if fields.has("orphan") { orphan = try fields.bool("orphan") }
        if fields.has("renewable") { renewable = try fields.bool("renewable") }
        if fields.has("path_suffix") {
            pathSuffix = try fields.string("path_suffix")
            guard pathSuffix.isEmpty || pathSuffix.contains(/\w[\w\-.]+\w/) else {
                throw TresorError.badRequest("given role path suffix contains invalid characters; must match \\w[\\w-.]+\\w")
            }
            guard !pathSuffix.contains("..") else { throw TresorError.badRequest("path_suffix cannot contain '..'") }
        }
        if fields.has("token_period") { period = try fields.duration("token_period") } else if fields.has("period") { period = try fields.duration("period") }
        if fields.has("token_explicit_max_ttl") {
            explicitMaxTTL = try fields.duration("token_explicit_max_ttl")
        } else if fields.has("explicit_max_ttl") {
            explicitMaxTTL = try fields.duration("explicit_max_ttl")
        }
        if fields.has("token_bound_cidrs") { boundCIDRs = try fields.strings("token_bound_cidrs") } else if fields.has("bound_cidrs") { boundCIDRs = try fields.strings("bound_cidrs") }
        try CIDR.validate(boundCIDRs)
        if fields.has("token_no_default_policy") { noDefaultPolicy = try fields.bool("token_no_default_policy") }
        if fields.has("token_num_uses") { numUses = try fields.int("token_num_uses") }
        if fields.has("token_type") {
            let type = try fields.string("token_type")
            guard ["default", "default-service", "service", "default-batch", "batch"].contains(type) else {
                throw TresorError.badRequest("invalid 'token_type' value \"\(type)\"")
            }
            tokenType = type == "default" ? "default-service" : type
        }
        guard period >= 0, explicitMaxTTL >= 0, numUses >= 0 else { throw TresorError.badRequest("TTLs and use counts cannot be negative") }
        if tokenType == "batch" || tokenType == "default-batch" {
            if period > 0 { throw TresorError.badRequest("'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens") }
            if numUses > 0 { throw TresorError.badRequest("'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count") }
        }
        // A role of batch tokens says what they are: orphans (no parent revokes them) that cannot be renewed.
        if tokenType == "batch" && !orphan {
            throw TresorError.badRequest("'token_type' cannot be 'batch' when role is set to generate non-orphan tokens")
        }
        if tokenType == "batch" && renewable {
            throw TresorError.badRequest("'token_type' cannot be 'batch' when role is set to generate renewable tokens")
        }
    }

    var json: [String: JSONValue] {
        [
            "name": .string(name), "allowed_policies": JSONValue(allowedPolicies), "disallowed_policies": JSONValue(disallowedPolicies),
            "allowed_policies_glob": JSONValue(allowedPoliciesGlob), "disallowed_policies_glob": JSONValue(disallowedPoliciesGlob),
            "allowed_entity_aliases": allowedEntityAliases.map { JSONValue($0) } ?? .null,
            "orphan": .bool(orphan), "renewable": .bool(renewable), "path_suffix": .string(pathSuffix),
            "period": .int(period), "token_period": .int(period),
            "explicit_max_ttl": .int(explicitMaxTTL), "token_explicit_max_ttl": .int(explicitMaxTTL),
            "token_bound_cidrs": JSONValue(boundCIDRs), "token_no_default_policy": .bool(noDefaultPolicy),
            "token_num_uses": .int(numUses), "token_type": .string(tokenType),
        ]
    }

    /// Applies the role to a create request: its path, orphan, renewal, period, limits and CIDRs,
    /// and its bounds on the policies.
    func apply(to params: inout TokenParams, parent: TokenEntry?) throws(TresorError) {
        params.path = "auth/token/create/\(name)" + (pathSuffix.isEmpty ? "" : "/" + pathSuffix)
        params.role = name
        if orphan { params.orphan = true }
        if !renewable { params.renewable = false }
        if period > 0 {
            params.period = period
            params.roleGrantsPeriod = true
        }
        if explicitMaxTTL > 0 { params.explicitMaxTTL = params.explicitMaxTTL == 0 ? explicitMaxTTL : min(params.explicitMaxTTL, explicitMaxTTL) }
        if numUses > 0 { params.numUses = params.numUses == 0 ? numUses : min(params.numUses, numUses) }
        if noDefaultPolicy { params.noDefaultPolicy = true }
        if !boundCIDRs.isEmpty { params.boundCIDRs = boundCIDRs }

        let requested = (params.policies ?? []).map(PolicyParser.normalize).filter { !$0.isEmpty }
        let disallowed: (String) -> Bool = { policy in
            disallowedPolicies.contains(policy) || disallowedPoliciesGlob.contains { Self.glob($0, policy) }
        }
        if !allowedPolicies.isEmpty || !allowedPoliciesGlob.isEmpty {
            let chosen = requested.isEmpty ? allowedPolicies : requested
            let permitted = Set(allowedPolicies + (params.noDefaultPolicy ? [] : ["default"]))
            let outside = chosen.filter { policy in !permitted.contains(policy) && !allowedPoliciesGlob.contains { Self.glob($0, policy) } }
            if !outside.isEmpty || chosen.contains(where: disallowed) {
                let shown = (params.noDefaultPolicy ? chosen : Array(Set(chosen + ["default"]))).sorted()
                throw TresorError.badRequest("token policies (\(Self.quoted(shown))) must be subset of the role's allowed policies (\(Self.quoted(permitted.sorted()))) or glob policies (\(Self.quoted(allowedPoliciesGlob)))")
            }
            params.policies = chosen
            params.roleAuthorisesPolicies = true
        } else {
            let effective = params.policies == nil ? (parent?.policies ?? []) : requested
            if let refused = effective.first(where: disallowed) {
                throw TresorError.badRequest("token policy \"\(refused)\" is disallowed by this role")
            }
        }
    }

    /// The type of a token made through the role: `service` and `batch` are fixed, the
    /// `default-*` types give the caller's choice or their own.
    func tokenType(requested: String) throws(TresorError) -> String {
        switch tokenType {
        case "service", "batch":
            guard requested == "default" || requested == tokenType else {
                throw TresorError.badRequest("role \"\(name)\" only issues \(tokenType) tokens")
            }
            return tokenType
        case "default-batch": return requested == "default" ? "batch" : requested
        default: return requested == "default" ? "service" : requested
        }
    }

    static func quoted(_ list: [String]) -> String {
        "[" + list.map { "\"\($0)\"" }.joined(separator: " ") + "]"
    }

    /// `*` matches any run of characters, anywhere in the pattern.
    static func glob(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && p[pi] == t[ti] && p[pi] != UInt8(ascii: "*") {
                pi += 1; ti += 1
            } else if pi < p.count && p[pi] == UInt8(ascii: "*") {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}

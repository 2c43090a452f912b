import Foundation
import TresorCore

struct AppRole: Codable, Sendable {
    var roleID: String
    var bindSecretID = true
    var secretIDBoundCIDRs: [String] = []
    var secretIDNumUses: Int64 = 0
    var secretIDTTL: Int64 = 0
    var localSecretIDs = false
    var token = TokenRoleSettings()

    var json: [String: JSONValue] {
        var data = token.json
        data["bind_secret_id"] = .bool(bindSecretID)
        data["secret_id_bound_cidrs"] = JSONValue(secretIDBoundCIDRs)
        data["secret_id_num_uses"] = .int(secretIDNumUses)
        data["secret_id_ttl"] = .int(secretIDTTL)
        data["local_secret_ids"] = .bool(localSecretIDs)
        return data
    }
}

struct SecretID: Codable, Sendable {
    var accessor: String
    var creationTime: Date
    var expirationTime: Date?
    var lastUpdatedTime: Date
    var numUses: Int64
    var ttl: Int64
    var metadata: [String: String]
    var cidrs: [String]
    var tokenBoundCIDRs: [String]

    func isExpired(at now: Date) -> Bool {
        if let expirationTime { return expirationTime <= now }
        return false
    }

    var json: [String: JSONValue] {
        [
            "secret_id_accessor": .string(accessor),
            "creation_time": .string(GoFormat.time(creationTime)),
            "expiration_time": .string(expirationTime.map(GoFormat.time) ?? "0001-01-01T00:00:00Z"),
            "last_updated_time": .string(GoFormat.time(lastUpdatedTime)),
            "secret_id_num_uses": .int(numUses),
            "secret_id_ttl": .int(ttl),
            "metadata": JSONValue(metadata),
            "cidr_list": JSONValue(cidrs),
            "token_bound_cidrs": JSONValue(tokenBoundCIDRs),
        ]
    }
}

/// Where an accessor points: its secret id's storage key.
struct SecretIDAccessor: Codable, Sendable {
    var roleName: String
    var secretIDKey: String
}

import Foundation

/// A token as stored. The token itself is never stored: the record lives under the salted hash
/// of its ID, and `id` below is that hash.
public struct TokenEntry: JSONDocument {
    public var id: String
    public var accessor: String
    public var parent: String?
    public var policies: [String]
    public var meta: [String: String]
    public var displayName: String
    public var path: String
    /// Uses left; 0 means unlimited.
    public var numUses: Int64
    public var creationTime: Date
    /// The TTL the token was created with, in seconds (0 = none).
    public var creationTTL: Int64
    public var explicitMaxTTL: Int64
    public var period: Int64
    public var renewable: Bool
    public var expireTime: Date?
    public var issueTime: Date
    public var lastRenewalTime: Date?
    /// Keys the token's cubbyhole, so it can be destroyed with the token without knowing the token.
    public var cubbyholeID: String
    public var type: String
    /// For tokens from an auth method: which mount issued it (its accessor), what the method
    /// needs to decide on renewal, and the CIDRs the token may be used from.
    public var authMountAccessor: String?
    public var loginData: [String: String]?
    public var boundCIDRs: [String]?
    /// The token role it was created through.
    public var role: String?
    /// The identity entity of a login token: its policies and its groups' apply at each request.
    public var entityID: String?

    public var isOrphan: Bool { parent == nil }
    public var isRoot: Bool { policies.contains("root") }

    public func isExpired(at now: Date) -> Bool {
        if let expireTime { return expireTime <= now }
        return false
    }

    /// Remaining seconds of life (0 for tokens without expiry).
    public func remainingTTL(at now: Date) -> Int64 {
        guard let expireTime else { return 0 }
        return max(0, SafeNumbers.seconds(until: expireTime.timeIntervalSince(now).rounded(.down)))
    }
}

// Token records are written on every token creation and read on every request that misses the
// cache; the hand mapping keeps the member names synthesized Codable used, so storage is unchanged.
extension TokenEntry {
    public init(storedJSON: JSONValue) throws {
        let stored = try StoredObject(storedJSON, of: Self.self)
        id = try stored.string("id")
        accessor = try stored.string("accessor")
        parent = try stored.optional("parent") { try $0.string($1) }
        policies = try stored.strings("policies")
        meta = try stored.stringMap("meta")
        displayName = try stored.string("displayName")
        path = try stored.string("path")
        numUses = try stored.int64("numUses")
        creationTime = try stored.date("creationTime")
        creationTTL = try stored.int64("creationTTL")
        explicitMaxTTL = try stored.int64("explicitMaxTTL")
        period = try stored.int64("period")
        renewable = try stored.bool("renewable")
        expireTime = try stored.optional("expireTime") { try $0.date($1) }
        issueTime = try stored.date("issueTime")
        lastRenewalTime = try stored.optional("lastRenewalTime") { try $0.date($1) }
        cubbyholeID = try stored.string("cubbyholeID")
        type = try stored.string("type")
        authMountAccessor = try stored.optional("authMountAccessor") { try $0.string($1) }
        loginData = try stored.optional("loginData") { try $0.stringMap($1) }
        boundCIDRs = try stored.optional("boundCIDRs") { try $0.strings($1) }
        role = try stored.optional("role") { try $0.string($1) }
        entityID = try stored.optional("entityID") { try $0.string($1) }
    }

    public var storedJSON: JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(id),
            "accessor": .string(accessor),
            "policies": JSONValue(policies),
            "meta": JSONValue(meta),
            "displayName": .string(displayName),
            "path": .string(path),
            "numUses": .int(numUses),
            "creationTime": creationTime.storedJSON,
            "creationTTL": .int(creationTTL),
            "explicitMaxTTL": .int(explicitMaxTTL),
            "period": .int(period),
            "renewable": .bool(renewable),
            "issueTime": issueTime.storedJSON,
            "cubbyholeID": .string(cubbyholeID),
            "type": .string(type),
        ]
        if let parent { object["parent"] = .string(parent) }
        if let expireTime { object["expireTime"] = expireTime.storedJSON }
        if let lastRenewalTime { object["lastRenewalTime"] = lastRenewalTime.storedJSON }
        if let authMountAccessor { object["authMountAccessor"] = .string(authMountAccessor) }
        if let loginData { object["loginData"] = JSONValue(loginData) }
        if let boundCIDRs { object["boundCIDRs"] = JSONValue(boundCIDRs) }
        if let role { object["role"] = .string(role) }
        if let entityID { object["entityID"] = .string(entityID) }
        return .object(object)
    }
}

import Foundation

/// A lease as stored under `sys/expire/id/<lease id>`.
public struct LeaseEntry: JSONDocument {
    public var leaseID: String
    public var path: String
    public var mountAccessor: String
    public var secretType: String
    public var internalData: [String: String]
    /// Salted hash of the token that created it; revoking the token revokes the lease.
    public var tokenHash: String?
    public var issueTime: Date
    public var expireTime: Date
    /// The lease never lives past this, however often it is renewed.
    public var maxExpireTime: Date
    public var lastRenewalTime: Date?
    public var renewable: Bool
    /// The TTL it was issued with: what a renewal without an increment grants again.
    public var ttl: Int64
    public var revokeAttempts: Int
    public var lastRevokeError: String?
    public var irrevocable: Bool

    public func remaining(at now: Date) -> Int64 {
        max(0, SafeNumbers.seconds(until: expireTime.timeIntervalSince(now).rounded(.down)))
    }

    public func lookupJSON(now: Date) -> [String: JSONValue] {
        var data: [String: JSONValue] = [
            "id": .string(leaseID),
            "issue_time": .string(GoFormat.time(issueTime)),
            "expire_time": .string(GoFormat.time(expireTime)),
            "last_renewal": lastRenewalTime.map { .string(GoFormat.time($0)) } ?? .null,
            "renewable": .bool(renewable && !irrevocable),
            "ttl": .int(remaining(at: now)),
        ]
        if irrevocable {
            data["irrevocable"] = true
            data["revoke_error"] = .string(lastRevokeError ?? "")
        }
        return data
    }
}

// Every dynamic credential writes one and every renewal rewrites it. Member names are those
// synthesized Codable gave the struct; dates are seconds since 2001.
extension LeaseEntry {
    public init(storedJSON: JSONValue) throws {
        let stored = try StoredObject(storedJSON, of: Self.self)
        leaseID = try stored.string("leaseID")
        path = try stored.string("path")
        mountAccessor = try stored.string("mountAccessor")
        secretType = try stored.string("secretType")
        internalData = try stored.stringMap("internalData")
        tokenHash = try stored.optional("tokenHash") { try $0.string($1) }
        issueTime = try stored.date("issueTime")
        expireTime = try stored.date("expireTime")
        maxExpireTime = try stored.date("maxExpireTime")
        lastRenewalTime = try stored.optional("lastRenewalTime") { try $0.date($1) }
        renewable = try stored.bool("renewable")
        ttl = try stored.int64("ttl")
        revokeAttempts = try stored.integer("revokeAttempts")
        lastRevokeError = try stored.optional("lastRevokeError") { try $0.string($1) }
        irrevocable = try stored.bool("irrevocable")
    }

    public var storedJSON: JSONValue {
        var object: [String: JSONValue] = [
            "leaseID": .string(leaseID),
            "path": .string(path),
            "mountAccessor": .string(mountAccessor),
            "secretType": .string(secretType),
            "internalData": JSONValue(internalData),
            "issueTime": issueTime.storedJSON,
            "expireTime": expireTime.storedJSON,
            "maxExpireTime": maxExpireTime.storedJSON,
            "renewable": .bool(renewable),
            "ttl": .int(ttl),
            "revokeAttempts": .int(Int64(revokeAttempts)),
            "irrevocable": .bool(irrevocable),
        ]
        if let tokenHash { object["tokenHash"] = .string(tokenHash) }
        if let lastRenewalTime { object["lastRenewalTime"] = lastRenewalTime.storedJSON }
        if let lastRevokeError { object["lastRevokeError"] = .string(lastRevokeError) }
        return .object(object)
    }
}

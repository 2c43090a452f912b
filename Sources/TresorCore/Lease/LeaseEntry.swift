import Foundation

/// A lease as stored under `sys/expire/id/<lease id>`.
public struct LeaseEntry: Codable, Sendable {
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

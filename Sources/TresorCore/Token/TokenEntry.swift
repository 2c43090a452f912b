import Foundation

/// A token as stored. The token itself is never stored: the record lives under the salted hash
/// of its ID, and `id` below is that hash.
public struct TokenEntry: Codable, Sendable {
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

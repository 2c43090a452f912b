/// What an auth method's login decides: who the caller is and what token they get. The core
/// turns it into a token inside the login request's transaction.
public struct LoginGrant: Sendable, Equatable {
    public var policies: [String]
    public var metadata: [String: String]
    /// Shown as the token's display name, e.g. "userpass-alice".
    public var displayName: String
    public var ttl: Int64
    public var maxTTL: Int64
    public var period: Int64
    public var numUses: Int64
    public var noDefaultPolicy: Bool
    public var boundCIDRs: [String]
    public var renewable: Bool
    /// Kept with the token for the method's renewal check (e.g. which role issued it).
    public var internalData: [String: String]
    /// How the auth method names the caller (userpass: the username; AppRole: the role id;
    /// Kubernetes: the service account's uid or name): the identity alias the login maps to.
    public var aliasName: String?
    /// The method's role's `token_type`: `default` (the mount's tuned type), `service` or `batch`.
    public var tokenType: String

    public init(policies: [String], metadata: [String: String] = [:], displayName: String, ttl: Int64 = 0, maxTTL: Int64 = 0,
                period: Int64 = 0, numUses: Int64 = 0, noDefaultPolicy: Bool = false, boundCIDRs: [String] = [],
                renewable: Bool = true, internalData: [String: String] = [:], tokenType: String = "default") {
        self.tokenType = tokenType
        self.policies = policies
        self.metadata = metadata
        self.displayName = displayName
        self.ttl = ttl
        self.maxTTL = maxTTL
        self.period = period
        self.numUses = numUses
        self.noDefaultPolicy = noDefaultPolicy
        self.boundCIDRs = boundCIDRs
        self.renewable = renewable
        self.internalData = internalData
    }
}

/// Auth methods that re-check a login when its token is renewed (the user or role must still
/// exist); they answer with the grant in force now.
public protocol LoginRenewer: Sendable {
    func renewLogin(_ token: TokenEntry, storage: StorageView) async throws -> LoginGrant
}

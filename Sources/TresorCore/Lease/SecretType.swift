/// A kind of secret a backend hands out with a lease (database credentials), and how to renew
/// and revoke one. Hooks get the data the backend stored with the lease.
public struct SecretType: Sendable {
    public typealias Hook = @Sendable (LeaseContext) async throws -> Void

    public let name: String
    public let renew: Hook?
    public let revoke: Hook

    public init(name: String, renew: Hook? = nil, revoke: @escaping Hook) {
        self.name = name
        self.renew = renew
        self.revoke = revoke
    }
}

/// What a renew or revoke hook sees.
public struct LeaseContext: Sendable {
    public let lease: LeaseEntry
    public let storage: StorageView
    public let mount: MountEntry
    /// For renewals: when the lease will now end.
    public let newExpireTime: Double?
}

/// What a handler returns to have its answer leased.
public struct SecretGrant: Sendable {
    public var type: String
    public var ttl: Int64
    public var maxTTL: Int64
    public var renewable: Bool
    /// Kept with the lease, encrypted like everything else, for the hooks.
    public var internalData: [String: String]

    public init(type: String, ttl: Int64, maxTTL: Int64, renewable: Bool = true, internalData: [String: String]) {
        self.type = type
        self.ttl = ttl
        self.maxTTL = maxTTL
        self.renewable = renewable
        self.internalData = internalData
    }
}

public protocol LeasingBackend: LogicalBackend {
    var secretTypes: [String: SecretType] { get }
}

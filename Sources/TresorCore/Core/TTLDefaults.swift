/// The server-wide lease TTLs (`default_lease_ttl`, `max_lease_ttl` in the config), which a
/// mount's own settings override. Vault's defaults are 32 days for both.
public struct TTLDefaults: Sendable, Equatable {
    public static let vault = TTLDefaults(defaultTTL: 768 * 3600, maxTTL: 768 * 3600)

    public var defaultTTL: Int64
    public var maxTTL: Int64

    public init(defaultTTL: Int64, maxTTL: Int64) {
        self.defaultTTL = defaultTTL
        self.maxTTL = maxTTL
    }

    /// The TTLs in force on a mount: its own where set, else these.
    public func effective(for mount: MountEntry) -> TTLDefaults {
        TTLDefaults(defaultTTL: mount.config.defaultLeaseTTL > 0 ? mount.config.defaultLeaseTTL : defaultTTL,
                    maxTTL: mount.config.maxLeaseTTL > 0 ? mount.config.maxLeaseTTL : maxTTL)
    }
}

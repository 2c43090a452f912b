import TresorCore

/// The audit device types a server offers, as the factory the core opens devices with.
public enum AuditDevices {
    /// `allowPrefix` is the server config's `allow_audit_log_prefixing`.
    public static func factory(allowPrefix: Bool) -> AuditDeviceFactory {
        { config in
            switch config.type {
            case "file": return try FileAuditDevice(options: config.options, allowPrefix: allowPrefix)
            case "socket": return try SocketAuditDevice(options: config.options)
            default: throw AuditError("unknown audit device type \"\(config.type)\" (file, socket)")
            }
        }
    }
}

import Crypto
import Foundation

/// What the operator allows of audit devices; from the server config.
public struct AuditSettings: Sendable {
    /// Whether `sys/audit` may enable devices (Vault's `unsafe_allow_api_audit_creation`).
    public var allowAPIEnable: Bool
    /// Devices declared in the config file, enabled at every unseal.
    public var declared: [AuditDeviceConfig]
    /// Opens a device of a known type (the server passes `TresorAudit`'s); without one, no
    /// device can be enabled.
    public var makeDevice: AuditDeviceFactory

    public init(allowAPIEnable: Bool = true, declared: [AuditDeviceConfig] = [],
                makeDevice: @escaping AuditDeviceFactory = { throw AuditError("unknown audit device type \"\($0.type)\"") }) {
        self.allowAPIEnable = allowAPIEnable
        self.declared = declared
        self.makeDevice = makeDevice
    }
}

/// A device that could not be opened: it fails every write, so requests fail closed until an
/// operator fixes or disables it.
struct BrokenAuditDevice: AuditDevice {
    let reason: String
    func write(_ lines: [[UInt8]]) async throws { throw AuditError(reason) }
}

extension Core {
    static let auditTablePath = "core/audit"
    static let auditSaltPrefix = "core/audit-salt/"

    func makeAuditDevice(_ config: AuditDeviceConfig) throws -> AuditDevice {
        try auditSettings.makeDevice(config)
    }

    static func normalizeAuditPath(_ raw: String) throws -> String {
        let path = raw.trimming { $0 == "/" }
        guard !path.isEmpty, !path.contains("*"), !path.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
            throw TresorError.badRequest("invalid audit device path \"\(raw)\"")
        }
        return path + "/"
    }

    /// The device's HMAC salt, created on first use; kept behind the barrier.
    private func auditSalt(_ path: String, storage: Storage) async throws -> [UInt8] {
        if let salt = try await storage.get(Self.auditSaltPrefix + path) { return salt }
        let salt = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        try await storage.put(Self.auditSaltPrefix + path, salt)
        return salt
    }

    /// Loads the stored and declared devices at unseal.
    func setupAudit() async throws {
        for old in audit.removeAll() { await old.device.close() }
        var configs = try await direct.getJSON(Self.auditTablePath, as: [AuditDeviceConfig].self) ?? []
        for declared in auditSettings.declared where !configs.contains(where: { $0.path == declared.path }) {
            configs.append(declared)
        }
        for config in configs {
            let salt = try await auditSalt(config.path, storage: direct)
            let device: AuditDevice
            do {
                device = try makeAuditDevice(config)
            } catch {
                logger.error("audit device failed to open; requests will be refused until it is fixed",
                             metadata: ["path": "\(config.path)", "error": "\(error)"])
                device = BrokenAuditDevice(reason: "\(error)")
            }
            audit.install(AuditBroker.Active(config: config, device: device, salt: salt))
        }
    }

    public func enableAudit(_ requested: AuditDeviceConfig, transaction tx: RequestTransaction) async throws {
        guard auditSettings.allowAPIEnable else {
            throw TresorError.badRequest("cannot enable audit device via API; use declarative, config-based audit device management instead")
        }
        var config = requested
        config.path = try Self.normalizeAuditPath(config.path)
        try config.validateOptions()
        await tx.lock(Self.auditTablePath)
        var table = try await tx.getJSON(Self.auditTablePath, as: [AuditDeviceConfig].self) ?? []
        if table.contains(where: { $0.path == config.path }) || audit.device(at: config.path) != nil {
            throw TresorError.badRequest("path already in use")
        }
        let device: AuditDevice
        do {
            device = try makeAuditDevice(config)
        } catch {
            throw TresorError.badRequest("failed to enable audit device at \(config.path): \(error)")
        }
        let salt = try await auditSalt(config.path, storage: tx)
        table.append(config)
        try await tx.putJSON(Self.auditTablePath, table)
        let active = AuditBroker.Active(config: config, device: device, salt: salt)
        tx.afterCommit { [weak self] in self?.audit.install(active) }
    }

    public func disableAudit(path raw: String, transaction tx: RequestTransaction) async throws {
        let path = try Self.normalizeAuditPath(raw)
        await tx.lock(Self.auditTablePath)
        var table = try await tx.getJSON(Self.auditTablePath, as: [AuditDeviceConfig].self) ?? []
        if auditSettings.declared.contains(where: { $0.path == path }) {
            throw TresorError.badRequest("audit device \(path) is declared in the server config and cannot be disabled through the API")
        }
        guard let index = table.firstIndex(where: { $0.path == path }) else { return }
        table.remove(at: index)
        try await tx.putJSON(Self.auditTablePath, table)
        try await tx.delete(Self.auditSaltPrefix + path)
        tx.afterCommit { [weak self] in
            if let removed = self?.audit.remove(path) { Task { await removed.device.close() } }
        }
    }

    /// What `sys/audit-hash` answers: the input as the device would write it.
    public func auditHash(path raw: String, input: String) throws -> String {
        let path = try Self.normalizeAuditPath(raw)
        guard let device = audit.device(at: path) else { throw TresorError.badRequest("unknown audit backend \"\(path)\"") }
        return device.hasher.hash(input)
    }
}

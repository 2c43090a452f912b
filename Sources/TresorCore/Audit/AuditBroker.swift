import Crypto
import Foundation
import Synchronization

/// Fans each audit event out to every enabled device. An event counts as recorded when at least
/// one device wrote it; the core refuses any request whose events were not recorded.
///
/// Every line a device writes carries `prev_hash`, the SHA-256 of the line before it, so an
/// edit, removal or insertion breaks the chain where it happened (`tresor audit verify`).
public final class AuditBroker: Sendable {
    final class Active: Sendable {
        let config: AuditDeviceConfig
        let device: AuditDevice
        let format: AuditFormat
        let hasher: AuditHasher
        let timeout: Duration
        /// Serialises writes so lines and the hash chain stay in order.
        let order = KeyLockTable(shardCount: 1)
        let lastHash = Mutex<String>("")

        init(config: AuditDeviceConfig, device: AuditDevice, salt: [UInt8]) {
            self.config = config
            self.device = device
            self.format = AuditFormat(options: config.options, salt: salt)
            self.hasher = AuditHasher(salt: salt)
            let seconds = Int(config.options["write_timeout_seconds"] ?? "") ?? 2
            self.timeout = .seconds(max(1, seconds))
        }

        func record(_ event: AuditEvent) async -> Bool {
            await order.acquire("line")
            defer { order.release("line") }
            var entry = format.entry(event)
            entry["prev_hash"] = .string(lastHash.withLock { $0 })
            let line = JSONWriter.encode(.object(entry))
            do {
                let limit = timeout
                try await withDeadline(limit, failure: { AuditError("audit device write timed out after \(limit)") }) {
                    try await self.device.write(line)
                }
                let digest = SHA256.hash(data: line).hexString
                lastHash.withLock { $0 = digest }
                return true
            } catch {
                return false
            }
        }

        /// Starts a new file after rotation; its first line names the last hash of the old one.
        func reopen() async {
            await order.acquire("line")
            defer { order.release("line") }
            _ = try? await device.reopen()
        }
    }

    private let active = Mutex<[String: Active]>([:])

    public init() {}

    public var isEmpty: Bool { active.withLock { $0.isEmpty } }

    public var configs: [AuditDeviceConfig] { active.withLock { $0.values.map(\.config) }.sorted { $0.path < $1.path } }

    func install(_ device: Active) {
        active.withLock { $0[device.config.path] = device }
    }

    func remove(_ path: String) -> Active? {
        active.withLock { $0.removeValue(forKey: path) }
    }

    func removeAll() -> [Active] {
        active.withLock { devices in
            defer { devices = [:] }
            return Array(devices.values)
        }
    }

    func device(at path: String) -> Active? { active.withLock { $0[path] } }

    /// Writes the event to every device concurrently. True when at least one recorded it, or
    /// when auditing is off.
    public func log(_ event: AuditEvent) async -> Bool {
        let devices = active.withLock { Array($0.values) }
        if devices.isEmpty { return true }
        return await withTaskGroup(of: Bool.self) { group in
            for device in devices { group.addTask { await device.record(event) } }
            var any = false
            for await ok in group where ok { any = true }
            return any
        }
    }

    /// SIGHUP: reopen every file device.
    public func reopenAll() async {
        for device in active.withLock({ Array($0.values) }) { await device.reopen() }
    }
}

import Foundation

/// Where audit entries go: a file, a socket (`TresorAudit` has both). A device writes whole
/// lines; it must give up within its timeout rather than hang the request that waits for it,
/// and it must not block the caller's thread: requests run on the event loops.
public protocol AuditDevice: Sendable {
    /// Writes entries in order, all or (as far as the device can tell) none; each without its
    /// trailing newline, which the device adds. Lines come in batches so that many concurrent
    /// requests cost one system call.
    func write(_ lines: [[UInt8]]) async throws
    /// Reopens files after log rotation (SIGHUP). Returns true if a new file was started.
    func reopen() async throws -> Bool
    func close() async
}

extension AuditDevice {
    public func reopen() async throws -> Bool { false }
    public func close() async {}
}

/// How an audit device is configured, as `sys/audit` lists it and `core/audit` stores it.
public struct AuditDeviceConfig: Codable, Sendable, Equatable {
    public var path: String
    public var type: String
    public var description: String
    public var options: [String: String]
    public var local: Bool
    /// Declared in the server config rather than enabled through the API.
    public var declared: Bool

    public init(path: String, type: String, description: String = "", options: [String: String] = [:], local: Bool = false, declared: Bool = false) {
        self.path = path
        self.type = type
        self.description = description
        self.options = options
        self.local = local
        self.declared = declared
    }

    /// Options every device type reads, then each type's own.
    static let commonOptions: Set<String> = ["log_raw", "hmac_accessor", "elide_list_responses", "format"]
    static let typeOptions: [String: Set<String>] = [
        "file": ["file_path", "path", "mode", "prefix"],
        "socket": ["address", "socket_type", "write_timeout"],
    ]

    /// Refuses options this device type would not honour (Vault's `filter`, `fallback` and
    /// `exclude`, say), so nobody believes entries are filtered or routed when they are not.
    /// Checked when a device is enabled or declared; devices already stored keep working.
    public func validateOptions() throws(TresorError) {
        let known = Self.commonOptions.union(Self.typeOptions[type] ?? [])
        if let unknown = options.keys.sorted().first(where: { !known.contains($0) }) {
            throw .badRequest("audit device \"\(type)\": option \"\(unknown)\" is not supported")
        }
        if let format = options["format"], !format.isEmpty, format != "json" {
            throw .badRequest("audit device \"\(type)\": format \"\(format)\" is not supported (json)")
        }
    }

    public var json: JSONValue {
        ["path": .string(path), "type": .string(type), "description": .string(description),
         "options": JSONValue(options), "local": .bool(local)]
    }
}

/// Builds a device from its configuration; given to the core by the server (`AuditSettings`),
/// which knows the device types and the operator's limits on them.
public typealias AuditDeviceFactory = @Sendable (AuditDeviceConfig) throws -> AuditDevice

public struct AuditError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

import Foundation
import HCL
@_spi(Server) import TresorCore

/// What `tresor server -config=FILE` reads: Vault's server configuration, the parts Tresor uses.
struct ServerConfig: Sendable, Equatable {
    struct Stanza: Sendable, Equatable {
        var type: String
        var options: [String: String]
        /// Where it came from, for error messages.
        var file: String
    }

    struct Listener: Sendable, Equatable {
        var address = "127.0.0.1:8200"
        var clusterAddress = ""
        var tlsDisable = false
        var tlsCertFile = ""
        var tlsKeyFile = ""
        var tlsMinVersion = "tls12"
        var tlsMaxVersion = "tls13"
        /// Go's cipher suite names; empty means the TLS library's defaults.
        var tlsCipherSuites: [String] = []
        var tlsClientCAFile = ""
        var tlsRequireAndVerifyClientCert = false
        var tlsDisableClientCerts = false
        var maxRequestSize = 32 * 1024 * 1024
        var jsonLimits = JSONLimits.requestDefault
        /// `disable_unauthed_generate_root_endpoints = false` / `disable_unauthed_rekey_endpoints = false`.
        var unauthenticatedOperatorPaths: Set<String> = []
        var file = ""
        /// Keys that were read but change nothing on this node, said at start-up.
        var notes: [String] = []
    }

    var storage: Stanza?
    var listeners: [Listener] = []
    /// The `telemetry` stanza, and whether this file had one (a later file's wins).
    var telemetry = ServerTelemetry.Settings()
    var telemetrySet = false
    var seal: Stanza?
    var apiAddr = ""
    var clusterAddr = ""
    var ui = false
    var logLevel = "info"
    /// Vault's `log_format` ("standard" or "json"), `log_file` and its rotation.
    var logFormat = ""
    var logFile = ""
    var logRotateBytes = 0
    var logRotateDuration: Int64?
    var logRotateMaxFiles = 0
    var defaultLeaseTTL: Int64 = 0
    var maxLeaseTTL: Int64 = 0
    var disableMlock = false
    var pidFile = ""
    /// Keys that were read but change nothing on this node, said at start-up.
    var notes: [String] = []
    /// Vault's `disable_cache` and `cache_size`: the barrier's cache of decrypted values.
    var disableCache = false
    var cacheSize = 0
    var clusterName = ""
    var audit: [AuditDeclaration] = []
    /// Vault's `unsafe_allow_api_audit_creation`: whether `sys/audit` may enable devices. Off
    /// unless the config says so, as in current Vault and OpenBao: whoever can add a device can
    /// send every later request, HMAC'd or not, to a place of their choosing.
    var allowAPIAuditCreation: Bool?
    var allowAuditLogPrefixing = false

    struct AuditDeclaration: Sendable, Equatable {
        var type: String
        var path: String
        var description: String
        var options: [String: String]
        var local: Bool
    }

    /// Later files override earlier ones, listeners accumulate: Vault's merge rules.
    mutating func merge(_ other: ServerConfig) {
        if other.storage != nil { storage = other.storage }
        if other.seal != nil { seal = other.seal }
        listeners += other.listeners
        if !other.apiAddr.isEmpty { apiAddr = other.apiAddr }
        if !other.clusterAddr.isEmpty { clusterAddr = other.clusterAddr }
        if other.ui { ui = true }
        if other.logLevel != "info" { logLevel = other.logLevel }
        if !other.logFormat.isEmpty { logFormat = other.logFormat }
        if !other.logFile.isEmpty { logFile = other.logFile }
        if other.logRotateBytes != 0 { logRotateBytes = other.logRotateBytes }
        if let duration = other.logRotateDuration { logRotateDuration = duration }
        if other.logRotateMaxFiles != 0 { logRotateMaxFiles = other.logRotateMaxFiles }
        if other.defaultLeaseTTL != 0 { defaultLeaseTTL = other.defaultLeaseTTL }
        if other.maxLeaseTTL != 0 { maxLeaseTTL = other.maxLeaseTTL }
        if other.disableMlock { disableMlock = true }
        if !other.pidFile.isEmpty { pidFile = other.pidFile }
        notes += other.notes
        if other.disableCache { disableCache = true }
        if other.cacheSize != 0 { cacheSize = other.cacheSize }
        if !other.clusterName.isEmpty { clusterName = other.clusterName }
        audit += other.audit
        if let allow = other.allowAPIAuditCreation { allowAPIAuditCreation = allow }
        if other.allowAuditLogPrefixing { allowAuditLogPrefixing = true }
        if other.telemetrySet { telemetry = other.telemetry; telemetrySet = true }
    }
}

/// A configuration mistake, located as precisely as the file allows.
struct ConfigError: Error, CustomStringConvertible {
    let file: String
    let line: Int?
    let message: String

    var description: String {
        if let line { return "error loading configuration from \(file): line \(line): \(message)" }
        return "error loading configuration from \(file): \(message)"
    }
}

extension ServerConfig {
    /// The cluster keys say where standbys reach an active node; without HA storage no other
    /// node exists, which start-up says rather than ignoring them silently.
    func clusterNotes(haEnabled: Bool) -> [String] {
        guard !haEnabled else { return [] }
        var notes: [String] = []
        if !clusterAddr.isEmpty { notes.append("cluster_addr: this node shares its storage with no other, so no cluster traffic uses it") }
        for listener in listeners where !listener.clusterAddress.isEmpty {
            notes.append("cluster_address \(listener.clusterAddress): this node shares its storage with no other, so nothing listens there")
        }
        return notes
    }
}

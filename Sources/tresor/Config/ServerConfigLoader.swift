import Foundation
import HCL
import TresorCore

/// Reads server configuration files (HCL or JSON) into `ServerConfig`, refusing unknown keys
/// and wrong types with the file and line at fault.
enum ServerConfigLoader {
    static let topLevelKeys: Set<String> = [
        "storage", "backend", "ha_storage", "listener", "seal", "api_addr", "cluster_addr", "ui", "log_level",
        "default_lease_ttl", "max_lease_ttl", "disable_mlock", "cluster_name", "disable_cache", "cache_size", "pid_file",
        "telemetry", "log_format", "log_file", "plugin_directory", "audit", "unsafe_allow_api_audit_creation",
        "allow_audit_log_prefixing",
    ]
    static let listenerKeys: Set<String> = [
        "address", "cluster_address", "tls_disable", "tls_cert_file", "tls_key_file", "tls_min_version",
        "tls_max_version", "tls_client_ca_file", "tls_require_and_verify_client_cert", "max_request_size",
        "max_request_duration", "proxy_protocol_behavior", "x_forwarded_for_authorized_addrs", "telemetry",
        "tls_disable_client_certs", "tls_cipher_suites",
    ]

    static func load(paths: [String]) throws -> ServerConfig {
        var merged = ServerConfig()
        for path in paths {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ConfigError(file: path, line: nil, message: "cannot read file: \(error.localizedDescription)")
            }
            merged.merge(try parse(text, file: path))
        }
        return merged
    }

    static func parse(_ text: String, file: String) throws -> ServerConfig {
        let document: HCLObject
        do {
            document = try HCL.parse(text)
        } catch {
            throw ConfigError(file: file, line: error.line, message: "\(error.message) (column \(error.column))")
        }
        var config = ServerConfig()
        let fail: (String, String) -> ConfigError = { key, message in
            ConfigError(file: file, line: lineOf(key, in: text), message: message)
        }
        for (key, value) in document.entries {
            switch key {
            case "storage", "backend":
                config.storage = try stanza(value, kind: key, file: file, fail: fail)
            case "seal":
                config.seal = try stanza(value, kind: key, file: file, fail: fail)
            case "listener":
                for (type, body) in labelled(value) {
                    guard type == "tcp" else { throw fail(type, "unsupported listener type \"\(type)\" (only \"tcp\")") }
                    config.listeners.append(try listener(body, file: file, fail: fail))
                }
            case "api_addr": config.apiAddr = try string(value, key, fail)
            case "cluster_addr": config.clusterAddr = try string(value, key, fail)
            case "cluster_name": config.clusterName = try string(value, key, fail)
            case "ui": config.ui = try bool(value, key, fail)
            case "disable_mlock": config.disableMlock = try bool(value, key, fail)
            case "disable_cache": config.disableCache = try bool(value, key, fail)
            case "cache_size":
                let size = try int(value, key, fail)
                guard size >= 0 else { throw fail(key, "cache_size must not be negative") }
                config.cacheSize = size
            case "log_level":
                let level = try string(value, key, fail).lowercased()
                guard ["trace", "debug", "info", "warn", "warning", "error", "off"].contains(level) else {
                    throw fail(key, "invalid log_level \"\(level)\"")
                }
                config.logLevel = level
            case "unsafe_allow_api_audit_creation": config.allowAPIAuditCreation = try bool(value, key, fail)
            case "allow_audit_log_prefixing": config.allowAuditLogPrefixing = try bool(value, key, fail)
            case "audit":
                // audit "TYPE" "PATH" { description, local, options = { ... } or the options inline }
                for (type, byPath) in labelled(value) {
                    for (path, body) in byPath.entries {
                        guard case .object(let fields) = body else { throw fail("audit", "audit \"\(type)\" \"\(path)\" must be a block") }
                        var declaration = ServerConfig.AuditDeclaration(type: type, path: path, description: "", options: [:], local: false)
                        for (field, fieldValue) in fields.entries {
                            switch field {
                            case "description": declaration.description = try string(fieldValue, field, fail)
                            case "local": declaration.local = try bool(fieldValue, field, fail)
                            case "options":
                                guard case .object(let options) = fieldValue else { throw fail(field, "audit options must be a map") }
                                for (name, option) in options.entries { declaration.options[name] = try string(option, name, fail) }
                            default: declaration.options[field] = try string(fieldValue, field, fail)
                            }
                        }
                        config.audit.append(declaration)
                    }
                }
            case "default_lease_ttl": config.defaultLeaseTTL = try duration(value, key, fail)
            case "max_lease_ttl": config.maxLeaseTTL = try duration(value, key, fail)
            case let other where topLevelKeys.contains(other):
                continue  // accepted for compatibility, not used yet
            default:
                throw fail(key, "unknown key \"\(key)\"")
            }
        }
        return config
    }

    /// `storage "sqlite" { ... }` arrives as storage → { "sqlite" → { ... } }.
    static func labelled(_ value: HCLValue) -> [(String, HCLObject)] {
        // JSON configs may give a list of such objects: "listener": [{"tcp": {...}}].
        if case .list(let items) = value { return items.flatMap(labelled) }
        guard case .object(let byLabel) = value else { return [] }
        return byLabel.entries.compactMap { entry in
            if case .object(let body) = entry.value { return (entry.key, body) }
            return nil
        }
    }

    static func stanza(_ value: HCLValue, kind: String, file: String, fail: (String, String) -> ConfigError) throws -> ServerConfig.Stanza {
        let blocks = labelled(value)
        guard blocks.count == 1, let (type, body) = blocks.first else {
            throw fail(kind, "\(kind) must be written as \(kind) \"TYPE\" { ... }, exactly once")
        }
        var options: [String: String] = [:]
        for (key, value) in body.entries {
            switch value {
            case .string(let s): options[key] = s
            case .number(let n): options[key] = SafeNumbers.int64(n).map(String.init) ?? String(n)
            case .bool(let b): options[key] = b ? "true" : "false"
            default: throw fail(key, "\(kind) \"\(type)\": \(key) must be a string, number or bool")
            }
        }
        return ServerConfig.Stanza(type: type, options: options, file: file)
    }

    static func listener(_ body: HCLObject, file: String, fail: (String, String) -> ConfigError) throws -> ServerConfig.Listener {
        var listener = ServerConfig.Listener()
        listener.file = file
        for (key, value) in body.entries {
            guard listenerKeys.contains(key) else { throw fail(key, "listener \"tcp\": unknown key \"\(key)\"") }
            switch key {
            case "address": listener.address = try string(value, key, fail)
            case "tls_disable": listener.tlsDisable = try bool(value, key, fail)
            case "tls_cert_file": listener.tlsCertFile = try string(value, key, fail)
            case "tls_key_file": listener.tlsKeyFile = try string(value, key, fail)
            case "tls_min_version":
                let version = try string(value, key, fail)
                guard ["tls12", "tls13"].contains(version) else { throw fail(key, "tls_min_version must be tls12 or tls13") }
                listener.tlsMinVersion = version
            case "max_request_size":
                let size = try int(value, key, fail)
                listener.maxRequestSize = size <= 0 ? 32 * 1024 * 1024 : size
            default: continue
            }
        }
        if !listener.tlsDisable && (listener.tlsCertFile.isEmpty || listener.tlsKeyFile.isEmpty) {
            throw fail("listener", "listener \"tcp\" at \(listener.address): tls_cert_file and tls_key_file are required unless tls_disable = true")
        }
        return listener
    }

    static func string(_ value: HCLValue, _ key: String, _ fail: (String, String) -> ConfigError) throws -> String {
        switch value {
        case .string(let s): return s
        case .number(let n): return SafeNumbers.int64(n).map(String.init) ?? String(n)
        case .bool(let b): return b ? "true" : "false"
        default: throw fail(key, "\(key) must be a string")
        }
    }

    static func bool(_ value: HCLValue, _ key: String, _ fail: (String, String) -> ConfigError) throws -> Bool {
        switch value {
        case .bool(let b): return b
        case .number(let n): return n != 0
        case .string(let s):
            switch s.lowercased() {
            case "true", "1", "t": return true
            case "false", "0", "f", "": return false
            default: throw fail(key, "\(key) must be true or false, not \"\(s)\"")
            }
        default: throw fail(key, "\(key) must be true or false")
        }
    }

    static func int(_ value: HCLValue, _ key: String, _ fail: (String, String) -> ConfigError) throws -> Int {
        switch value {
        case .number(let n) where n == n.rounded() && abs(n) < 1e15: return Int(n)
        case .string(let s) where Int(s) != nil: return Int(s)!
        default: throw fail(key, "\(key) must be a whole number")
        }
    }

    static func duration(_ value: HCLValue, _ key: String, _ fail: (String, String) -> ConfigError) throws -> Int64 {
        let text = try string(value, key, fail)
        guard let seconds = DurationParser.seconds(text), seconds >= 0 else { throw fail(key, "\(key): invalid duration \"\(text)\"") }
        return seconds
    }

    /// The first line where `key` appears as a key, for pointing at mistakes.
    static func lineOf(_ key: String, in text: String) -> Int? {
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix(key) || trimmed.hasPrefix("\"\(key)\"") { return index + 1 }
        }
        return nil
    }
}

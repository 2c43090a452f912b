import Foundation
import HCL
@_spi(Server) import TresorCore

/// Reads server configuration files (HCL or JSON) into `ServerConfig`, refusing unknown keys
/// and wrong types with the file and line at fault.
enum ServerConfigLoader {

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
                config.storage = try stanza(value, kind: "storage", allowed: ConfigKeys.storage, file: file, fail: fail)
            case "seal":
                config.seal = try stanza(value, kind: key, allowed: ConfigKeys.seal, file: file, fail: fail)
            case "listener":
                for (type, body) in labelled(value) {
                    guard type == "tcp" else { throw fail(type, "unsupported listener type \"\(type)\" (only \"tcp\")") }
                    config.listeners.append(try listener(body, file: file, fail: fail))
                }
            case "api_addr": config.apiAddr = try string(value, key, fail)
            case "cluster_addr":
                config.clusterAddr = try string(value, key, fail)
            case "cluster_name": config.clusterName = try string(value, key, fail)
            case "ui":
                config.ui = try bool(value, key, fail)
            case "disable_mlock": config.disableMlock = try bool(value, key, fail)
            case "pid_file": config.pidFile = try string(value, key, fail)
            case "log_format":
                let format = try string(value, key, fail).lowercased()
                guard format.isEmpty || format == "standard" || format == "json" else {
                    throw fail(key, "log_format \"\(format)\" is not supported (standard or json)")
                }
                config.logFormat = format
            case "log_file":
                config.logFile = try string(value, key, fail)
                guard !config.logFile.isEmpty else { throw fail(key, "log_file must not be empty") }
            case "log_rotate_bytes":
                config.logRotateBytes = try int(value, key, fail)
                guard config.logRotateBytes >= 0 else { throw fail(key, "log_rotate_bytes must not be negative") }
            case "log_rotate_duration":
                config.logRotateDuration = try duration(value, key, fail)
            case "log_rotate_max_files":
                config.logRotateMaxFiles = try int(value, key, fail)
                guard config.logRotateMaxFiles >= -1 else { throw fail(key, "log_rotate_max_files must be -1, 0 or more") }
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
                        do {
                            try AuditDeviceConfig(path: path, type: type, options: declaration.options).validateOptions()
                        } catch {
                            throw fail("audit", error.messages.first ?? "invalid audit options")
                        }
                        config.audit.append(declaration)
                    }
                }
            case "telemetry":
                config.telemetry = try telemetry(value, fail: fail)
                config.telemetrySet = true
            case "default_lease_ttl": config.defaultLeaseTTL = try duration(value, key, fail)
            case "max_lease_ttl": config.maxLeaseTTL = try duration(value, key, fail)
            default:
                if let reason = ConfigKeys.refusedTopLevel[key] { throw fail(key, "\(key): \(reason)") }
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

    /// An unlabelled block (`telemetry { ... }`), as HCL or as JSON (an object, or a list of them).
    static func block(_ value: HCLValue, _ key: String, _ fail: (String, String) -> ConfigError) throws -> HCLObject {
        switch value {
        case .object(let body): return body
        case .list(let items):
            var merged = HCLObject()
            for item in items {
                guard case .object(let body) = item else { throw fail(key, "\(key) must be a block") }
                merged.entries += body.entries
            }
            return merged
        default: throw fail(key, "\(key) must be a block")
        }
    }

    /// Vault's `telemetry` stanza: the Prometheus settings are honoured; the other sinks
    /// (statsd, circonus, dogstatsd, stackdriver) are refused rather than left silent.
    static func telemetry(_ value: HCLValue, fail: (String, String) -> ConfigError) throws -> ServerTelemetry.Settings {
        var settings = ServerTelemetry.Settings()
        for (key, setting) in try block(value, "telemetry", fail).entries {
            switch key {
            case "prometheus_retention_time":
                let seconds = try duration(setting, key, fail)
                guard seconds >= 0 else { throw fail(key, "prometheus_retention_time must not be negative") }
                settings.prometheusRetention = TimeInterval(seconds)
            case "disable_hostname": settings.disableHostname = try bool(setting, key, fail)
            default:
                throw fail(key, "telemetry: key \"\(key)\" is not supported (Tresor serves Prometheus and JSON at sys/metrics; "
                    + "supported keys: prometheus_retention_time, disable_hostname)")
            }
        }
        return settings
    }

    /// A `storage` or `seal` stanza; options its type does not honour are refused (an unknown
    /// type is left to the factory, which names the types there are).
    static func stanza(_ value: HCLValue, kind: String, allowed: [String: Set<String>], file: String,
                       fail: (String, String) -> ConfigError) throws -> ServerConfig.Stanza {
        let blocks = labelled(value)
        guard blocks.count == 1, let (type, body) = blocks.first else {
            throw fail(kind, "\(kind) must be written as \(kind) \"TYPE\" { ... }, exactly once")
        }
        var options: [String: String] = [:]
        for (key, value) in body.entries {
            let option: String
            switch value {
            case .string(let s): option = s
            case .number(let n): option = SafeNumbers.int64(n).map(String.init) ?? String(n)
            case .bool(let b): option = b ? "true" : "false"
            default: throw fail(key, "\(kind) \"\(type)\": \(key) must be a string, number or bool")
            }
            if let known = allowed[type], !known.contains(key) {
                // Switching HA off is what Tresor does anyway.
                let haOff = key == "ha_enabled" && ["false", "0", "f"].contains(option.lowercased())
                if !haOff { throw fail(key, ConfigKeys.unsupported(kind, type, key)) }
            }
            options[key] = option
        }
        return ServerConfig.Stanza(type: type, options: options, file: file)
    }

    static func listener(_ body: HCLObject, file: String, fail: (String, String) -> ConfigError) throws -> ServerConfig.Listener {
        var listener = ServerConfig.Listener()
        listener.file = file
        for (key, value) in body.entries {
            guard ConfigKeys.listener.contains(key) else {
                throw fail(key, "listener \"tcp\": key \"\(key)\" is not supported; remove it or see the README for the keys Tresor honours")
            }
            switch key {
            case "address": listener.address = try string(value, key, fail)
            case "cluster_address":
                listener.clusterAddress = try string(value, key, fail)
                guard ServerCommand.splitAddress(listener.clusterAddress) != nil else {
                    throw fail(key, "cluster_address \"\(listener.clusterAddress)\" is not host:port")
                }
            case "tls_disable": listener.tlsDisable = try bool(value, key, fail)
            case "tls_cert_file": listener.tlsCertFile = try string(value, key, fail)
            case "tls_key_file": listener.tlsKeyFile = try string(value, key, fail)
            case "tls_min_version", "tls_max_version":
                let version = try string(value, key, fail)
                guard ListenerTLS.versions[version] != nil else {
                    throw fail(key, "'\(key)' value \"\(version)\" not supported, please specify one of [tls10,tls11,tls12,tls13]")
                }
                if key == "tls_min_version" { listener.tlsMinVersion = version } else { listener.tlsMaxVersion = version }
            case "tls_cipher_suites":
                listener.tlsCipherSuites = try string(value, key, fail).split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
                if let unknown = listener.tlsCipherSuites.first(where: { ListenerTLS.ciphers[$0] == nil }) {
                    throw fail(key, "tls_cipher_suites: unsupported cipher \"\(unknown)\"")
                }
            case "tls_client_ca_file": listener.tlsClientCAFile = try string(value, key, fail)
            case "tls_require_and_verify_client_cert": listener.tlsRequireAndVerifyClientCert = try bool(value, key, fail)
            case "tls_disable_client_certs": listener.tlsDisableClientCerts = try bool(value, key, fail)
            case "telemetry":
                for (field, setting) in try block(value, key, fail).entries {
                    guard field == "unauthenticated_metrics_access" else {
                        throw fail(field, "listener \"tcp\": telemetry key \"\(field)\" is not supported (only unauthenticated_metrics_access)")
                    }
                    if try bool(setting, field, fail) { listener.unauthenticatedOperatorPaths.insert("metrics") }
                }
            case "max_request_size":
                let size = try int(value, key, fail)
                listener.maxRequestSize = size <= 0 ? 32 * 1024 * 1024 : size
            case "disable_unauthed_generate_root_endpoints", "disable_unauthed_rekey_endpoints":
                // Off (false) opens the paths to callers without a token: break-glass only.
                if !(try bool(value, key, fail)) {
                    listener.unauthenticatedOperatorPaths.insert(key.contains("rekey") ? "rekey" : "generate-root")
                }
            case "max_json_depth": listener.jsonLimits.maxDepth = try limit(value, key, fail, default: JSONLimits.requestDefault.maxDepth)
            case "max_json_string_value_length":
                listener.jsonLimits.maxStringLength = try limit(value, key, fail, default: JSONLimits.requestDefault.maxStringLength)
            case "max_json_object_entry_count":
                listener.jsonLimits.maxObjectEntries = try limit(value, key, fail, default: JSONLimits.requestDefault.maxObjectEntries)
            case "max_json_array_element_count":
                listener.jsonLimits.maxArrayElements = try limit(value, key, fail, default: JSONLimits.requestDefault.maxArrayElements)
            case "max_request_json_memory": listener.jsonLimits.maxMemory = try limit(value, key, fail, default: JSONLimits.requestDefault.maxMemory)
            case "max_request_json_strings": listener.jsonLimits.maxStrings = try limit(value, key, fail, default: JSONLimits.requestDefault.maxStrings)
            default:
                throw fail(key, "listener \"tcp\": key \"\(key)\" is not handled")
            }
        }
        if !listener.tlsDisable && (listener.tlsCertFile.isEmpty || listener.tlsKeyFile.isEmpty) {
            throw fail("listener", "listener \"tcp\" at \(listener.address): tls_cert_file and tls_key_file are required unless tls_disable = true")
        }
        if listener.tlsDisable {
            // TLS options on a plain-text listener would promise what it cannot keep.
            for key in body.entries.map(\.key) where key.hasPrefix("tls_") && key != "tls_disable" {
                throw fail(key, "listener \"tcp\" at \(listener.address): \(key) is set but tls_disable = true")
            }
        }
        if listener.tlsRequireAndVerifyClientCert && listener.tlsDisableClientCerts {
            throw fail("tls_disable_client_certs", "'tls_disable_client_certs' and 'tls_require_and_verify_client_cert' are mutually exclusive")
        }
        if listener.tlsDisableClientCerts && !listener.tlsClientCAFile.isEmpty {
            throw fail("tls_client_ca_file", "tls_client_ca_file is set but tls_disable_client_certs = true")
        }
        if let min = ListenerTLS.versions[listener.tlsMinVersion], let max = ListenerTLS.versions[listener.tlsMaxVersion],
           ListenerTLS.order(max) < ListenerTLS.order(min) {
            throw fail("tls_max_version", "'tls_max_version' must be greater than or equal to 'tls_min_version'")
        }
        return listener
    }

    /// A JSON limit: a whole number, 0 (or absent) for the default, negative for no limit, as OpenBao reads its own.
    static func limit(_ value: HCLValue, _ key: String, _ fail: (String, String) -> ConfigError, default fallback: Int) throws -> Int {
        let number = try int(value, key, fail)
        if number == 0 { return fallback }
        return max(number, 0)
    }

    static func string(_ value: HCLValue, _ key: String, _ fail: (String, String) -> ConfigError) throws -> String {
        guard let text = value.configString else { throw fail(key, "\(key) must be a string") }
        return text
    }

    static func bool(_ value: HCLValue, _ key: String, _ fail: (String, String) -> ConfigError) throws -> Bool {
        if let flag = value.configBool { return flag }
        if case .string(let s) = value { throw fail(key, "\(key) must be true or false, not \"\(s)\"") }
        throw fail(key, "\(key) must be true or false")
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

import Foundation
import HCL

/// Reads agent configuration files (HCL or JSON), refusing unknown keys and wrong types with the
/// file and line at fault, and keys Tresor's agent does not honour with a clear reason.
public enum AgentConfigLoader {
    public static func load(paths: [String]) throws -> AgentConfig {
        guard !paths.isEmpty else { throw AgentConfigError(file: "-config", line: nil, message: "at least one -config file is required") }
        return try load(documents: read(paths: paths))
    }

    /// The text of each configuration file.
    public static func read(paths: [String]) throws -> [(name: String, text: String)] {
        try paths.map { path in
            do {
                return (path, try String(contentsOfFile: path, encoding: .utf8))
            } catch {
                throw AgentConfigError(file: path, line: nil, message: "cannot read file: \(error.localizedDescription)")
            }
        }
    }

    /// Configuration from files and from environment variables (`-config-env`), merged in order.
    public static func load(documents: [(name: String, text: String)]) throws -> AgentConfig {
        guard !documents.isEmpty else { throw AgentConfigError(file: "-config", line: nil, message: "at least one -config file is required") }
        var merged = AgentConfig()
        for document in documents {
            let (config, set) = try parse(document.text, file: document.name)
            merged.merge(config, set: set)
        }
        try validate(merged, file: documents.map(\.name).joined(separator: ", "))
        return merged
    }

    /// The configuration the Kubernetes injector hands its agents: the base64 of a JSON
    /// document in an environment variable (`VAULT_CONFIG`), as vault-k8s passes it.
    public static func document(fromEnvironment name: String, _ environment: [String: String]) throws -> (name: String, text: String) {
        guard let encoded = environment[name], !encoded.isEmpty else {
            throw AgentConfigError(file: "$" + name, line: nil, message: "the environment variable \(name) is not set")
        }
        guard let bytes = Data(base64Encoded: encoded.trimmingCharacters(in: .whitespacesAndNewlines)),
              let text = String(data: bytes, encoding: .utf8) else {
            throw AgentConfigError(file: "$" + name, line: nil, message: "\(name) must hold a base64-encoded configuration")
        }
        return ("$" + name, text)
    }

    static func validate(_ config: AgentConfig, file: String) throws {
        if config.methods.count > 1 {
            throw AgentConfigError(file: file, line: nil, message: "auto_auth: only one method may be configured")
        }
        if config.exitAfterAuth && config.exec != nil {
            throw AgentConfigError(file: file, line: nil, message: "exit_after_auth and exec cannot be used together")
        }
        if !config.envTemplates.isEmpty && config.exec == nil {
            throw AgentConfigError(file: file, line: nil, message: "env_template requires an exec stanza")
        }
        if config.exec != nil && config.exec!.command.isEmpty {
            throw AgentConfigError(file: file, line: nil, message: "exec: command is required")
        }
    }

    struct Reader {
        let file: String
        let text: String

        func fail(_ key: String, _ message: String) -> AgentConfigError {
            AgentConfigError(file: file, line: lineOf(key), message: message)
        }

        /// The first line where `key` appears as a key.
        func lineOf(_ key: String) -> Int? {
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let trimmed = line.drop { $0 == " " || $0 == "\t" }
                if trimmed.hasPrefix(key + " ") || trimmed.hasPrefix(key + "=") || trimmed.hasPrefix("\"\(key)\"") || trimmed == Substring(key)
                    || trimmed.hasPrefix(key + "{") {
                    return index + 1
                }
            }
            // Keys inside a one-line block: `config = { path = "/t", mode = 0640 }`.
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                for marker in [" \(key) =", " \(key)=", "{\(key) =", ",\(key) =", "\"\(key)\":", "\"\(key)\" :"] where line.contains(marker) {
                    return index + 1
                }
            }
            return nil
        }

        func string(_ value: HCLValue, _ key: String) throws -> String {
            guard let text = value.configString else { throw fail(key, "\(key) must be a string") }
            return text
        }

        func bool(_ value: HCLValue, _ key: String) throws -> Bool {
            if let flag = value.configBool { return flag }
            if case .string(let s) = value { throw fail(key, "\(key) must be true or false, not \"\(s)\"") }
            throw fail(key, "\(key) must be true or false")
        }

        func int(_ value: HCLValue, _ key: String) throws -> Int {
            switch value {
            case .number(let n) where n == n.rounded() && abs(n) < 1e9: return Int(n)
            case .string(let s) where Int(s) != nil && abs(Int(s)!) < 1_000_000_000: return Int(s)!
            default: throw fail(key, "\(key) must be a whole number")
            }
        }

        func duration(_ value: HCLValue, _ key: String) throws -> Duration {
            let text = try string(value, key)
            guard let duration = GoDuration.parse(text) else { throw fail(key, "\(key): invalid duration \"\(text)\"") }
            return duration
        }

        /// File modes: HCL's `0640` arrives as octal already; a string is read as octal.
        func mode(_ value: HCLValue, _ key: String) throws -> UInt16 {
            let mode: Int?
            switch value {
            case .number(let n) where n == n.rounded(): mode = Int(n)
            case .string(let s): mode = Int(s, radix: 8)
            default: mode = nil
            }
            guard let mode, (0...0o7777).contains(mode) else { throw fail(key, "\(key) must be a file mode such as 0640") }
            return UInt16(mode)
        }

        func object(_ value: HCLValue, _ key: String) throws -> HCLObject {
            if case .object(let body) = value { return body }
            if case .list(let items) = value, items.count == 1, case .object(let body) = items[0] { return body }
            throw fail(key, "\(key) must be a block")
        }

        /// Blocks written `name "label" { ... }`, or `name { ... }` with an unlabelled body.
        func blocks(_ value: HCLValue, _ key: String, labelled: Bool) throws -> [(label: String?, body: HCLObject)] {
            if case .list(let items) = value { return try items.flatMap { try blocks($0, key, labelled: labelled) } }
            guard case .object(let body) = value else { throw fail(key, "\(key) must be a block") }
            if labelled, !body.entries.isEmpty, body.entries.allSatisfy({ if case .object = $0.value { return true } else { return false } }),
               body["type"] == nil, body["config"] == nil {
                return body.entries.map { entry in
                    if case .object(let inner) = entry.value { return (entry.key, inner) }
                    return (entry.key, HCLObject())
                }
            }
            return [(nil, body)]
        }

        /// String options of a `config = { ... }` map.
        func options(_ value: HCLValue, _ key: String) throws -> [String: String] {
            var out: [String: String] = [:]
            for (name, item) in try object(value, key).entries {
                switch item {
                case .list(let items): out[name] = try items.map { try string($0, name) }.joined(separator: ",")
                default: out[name] = try string(item, name)
                }
            }
            return out
        }

        func unknown(_ key: String, in stanza: String) -> AgentConfigError {
            fail(key, "\(stanza): unknown key \"\(key)\"")
        }
    }

    static let unsupported: [String: String] = [
        "telemetry": "telemetry is not supported by tresor agent",
        "log_file": "log_file is not supported; tresor agent logs to standard error",
    ]

    static func parse(_ text: String, file: String) throws -> (AgentConfig, Set<String>) {
        let document: HCLObject
        do {
            document = try HCL.parse(text)
        } catch {
            throw AgentConfigError(file: file, line: error.line, message: "\(error.message) (column \(error.column))")
        }
        let reader = Reader(file: file, text: text)
        var config = AgentConfig()
        var set: Set<String> = []
        for (key, value) in document.entries {
            set.insert(key)
            switch key {
            case "vault": config.vault = try vault(try reader.object(value, key), reader)
            case "auto_auth": try autoAuth(try reader.object(value, key), reader, into: &config)
            case "template":
                for block in try reader.blocks(value, key, labelled: false) {
                    config.templates.append(try template(block.body, reader, stanza: "template"))
                }
            case "template_config": config.templateConfig = try templateConfig(try reader.object(value, key), reader)
            case "env_template":
                for block in try reader.blocks(value, key, labelled: true) {
                    guard let name = block.label, !name.isEmpty else { throw reader.fail(key, "env_template must be written env_template \"NAME\" { ... }") }
                    var template = try self.template(block.body, reader, stanza: "env_template \"\(name)\"")
                    template.destination = ""
                    config.envTemplates.append(AgentConfig.EnvTemplate(name: name, template: template))
                }
            case "exec": config.exec = try exec(try reader.object(value, key), reader)
            case "listener":
                for block in try reader.blocks(value, key, labelled: true) {
                    config.listeners.append(try listener(block.label, block.body, reader))
                }
            case "api_proxy", "cache":
                for (option, item) in try reader.object(value, key).entries {
                    switch option {
                    case "use_auto_auth_token":
                        if case .string(let text) = item, text.lowercased() == "force" {
                            config.useAutoAuthToken = "force"
                        } else {
                            config.useAutoAuthToken = try reader.bool(item, option) ? "true" : "false"
                        }
                    case "enforce_consistency", "when_inconsistent":
                        throw reader.fail(option, "\(key): \(option) is not supported by tresor agent")
                    default:
                        // The cache proper (leased responses kept and renewed) is not built: refuse
                        // its settings rather than pretend.
                        throw reader.fail(option, key == "cache" ? "cache: \(option) is not supported; tresor agent proxies without caching"
                                                                    : "api_proxy: unknown key \"\(option)\"")
                    }
                }
            case "exit_after_auth": config.exitAfterAuth = try reader.bool(value, key)
            case "pid_file": config.pidFile = try reader.string(value, key)
            case "log_level": config.logLevel = try reader.string(value, key).lowercased()
            case "log_format":
                let format = try reader.string(value, key)
                guard format == "standard" else { throw reader.fail(key, "log_format \"\(format)\" is not supported (standard)") }
            case "disable_idle_connections", "disable_keep_alives":
                throw reader.fail(key, "\(key) is not supported by tresor agent")
            default:
                if let reason = unsupported[key] { throw reader.fail(key, reason) }
                throw reader.fail(key, "unknown key \"\(key)\"")
            }
        }
        return (config, set)
    }

    static func vault(_ body: HCLObject, _ r: Reader) throws -> AgentConfig.Vault {
        var vault = AgentConfig.Vault()
        for (key, value) in body.entries {
            switch key {
            case "address": vault.address = try r.string(value, key)
            case "ca_cert": vault.caCert = try r.string(value, key)
            case "ca_path": vault.caPath = try r.string(value, key)
            case "client_cert": vault.clientCert = try r.string(value, key)
            case "client_key": vault.clientKey = try r.string(value, key)
            case "tls_skip_verify": vault.tlsSkipVerify = try r.bool(value, key)
            case "tls_server_name":
                throw r.fail(key, "vault: tls_server_name is not supported by tresor agent; the address's host name is used")
            case "namespace":
                // Tresor has no namespaces; only the root namespace means anything here.
                guard try r.string(value, key).isEmpty else { throw r.fail(key, "vault: namespaces are not supported") }
            case "retry":
                for (retryKey, retryValue) in try r.object(value, key).entries {
                    guard retryKey == "num_retries" else { throw r.unknown(retryKey, in: "vault.retry") }
                    let retries = try r.int(retryValue, retryKey)
                    // Vault: 0 means the default; -1 means no retries.
                    vault.numRetries = retries == 0 ? 12 : max(retries, 0)
                    vault.retriesConfigured = true
                }
            default: throw r.unknown(key, in: "vault")
            }
        }
        return vault
    }

    static let methodTypes: Set<String> = ["approle", "kubernetes", "token_file"]

    static func autoAuth(_ body: HCLObject, _ r: Reader, into config: inout AgentConfig) throws {
        for (key, value) in body.entries {
            switch key {
            case "method":
                for block in try r.blocks(value, key, labelled: true) {
                    var type = block.label
                    var method = AgentConfig.Method(type: "", mountPath: "", file: r.file)
                    for (option, item) in block.body.entries {
                        switch option {
                        case "type": type = try r.string(item, option)
                        case "mount_path": method.mountPath = try r.string(item, option)
                        case "wrap_ttl":
                            throw r.fail(option, "auto_auth.method: wrap_ttl is not supported: the agent would hold only a wrapped login; use wrap_ttl on a sink")
                        case "min_backoff": method.minBackoff = try r.duration(item, option)
                        case "max_backoff": method.maxBackoff = try r.duration(item, option)
                        case "exit_on_err": method.exitOnError = try r.bool(item, option)
                        case "config": method.config = try r.options(item, option)
                        case "namespace":
                            guard try r.string(item, option).isEmpty else { throw r.fail(option, "auto_auth.method: namespaces are not supported") }
                        default: throw r.unknown(option, in: "auto_auth.method")
                        }
                    }
                    guard let type, !type.isEmpty else { throw r.fail(key, "auto_auth.method: a type is required") }
                    if type == "jwt" {
                        throw r.fail(key, "auto_auth method \"jwt\" needs a JWT auth method on the server, which Tresor does not have yet; use approle, kubernetes or token_file")
                    }
                    guard methodTypes.contains(type) else {
                        throw r.fail(key, "auto_auth method \"\(type)\" is not supported (approle, kubernetes, token_file)")
                    }
                    method.type = type
                    if method.mountPath.isEmpty { method.mountPath = "auth/" + type }
                    try checkMethodOptions(method, r)
                    config.methods.append(method)
                }
            case "sink":
                for block in try r.blocks(value, key, labelled: true) {
                    var type = block.label
                    var sink = AgentConfig.Sink(path: "")
                    for (option, item) in block.body.entries {
                        switch option {
                        case "type": type = try r.string(item, option)
                        case "wrap_ttl":
                            let ttl = try r.duration(item, option)
                            guard ttl > .zero else { throw r.fail(option, "sink: wrap_ttl must be positive") }
                            sink.wrapTTL = ttl
                        case "config":
                            for (name, setting) in try r.object(item, option).entries {
                                switch name {
                                case "path": sink.path = try r.string(setting, name)
                                case "mode": sink.mode = try r.mode(setting, name)
                                default: throw r.unknown(name, in: "sink \"file\" config")
                                }
                            }
                        case "dh_type", "dh_path", "aad", "aad_env_var", "derive_key":
                            throw r.fail(option, "sink: \(option) (response encryption) is not supported")
                        default: throw r.unknown(option, in: "auto_auth.sink")
                        }
                    }
                    guard type == "file" else { throw r.fail(key, "sink type \"\(type ?? "")\" is not supported (file)") }
                    guard !sink.path.isEmpty else { throw r.fail(key, "sink \"file\": config.path is required") }
                    config.sinks.append(sink)
                }
            case "enable_reauth_on_new_credentials":
                if try r.bool(value, key) {
                    throw r.fail(key, "auto_auth: enable_reauth_on_new_credentials is not supported; the agent logs in again when its token cannot be renewed")
                }
            default: throw r.unknown(key, in: "auto_auth")
            }
        }
    }

    static let methodOptions: [String: Set<String>] = [
        "approle": ["role_id_file_path", "secret_id_file_path", "remove_secret_id_file_after_reading", "secret_id_response_wrapping_path"],
        "kubernetes": ["role", "token_path"],
        "token_file": ["token_file_path"],
    ]

    static func checkMethodOptions(_ method: AgentConfig.Method, _ r: Reader) throws {
        let known = methodOptions[method.type] ?? []
        for key in method.config.keys.sorted() where !known.contains(key) {
            throw r.fail(key, "auto_auth method \"\(method.type)\": unknown config key \"\(key)\"")
        }
        switch method.type {
        case "approle":
            guard !(method.config["role_id_file_path"] ?? "").isEmpty else { throw r.fail("method", "approle: role_id_file_path is required") }
            if method.config["secret_id_response_wrapping_path"] != nil {
                throw r.fail("secret_id_response_wrapping_path", "approle: secret_id_response_wrapping_path is not supported yet")
            }
        case "kubernetes":
            guard !(method.config["role"] ?? "").isEmpty else { throw r.fail("method", "kubernetes: role is required") }
        case "token_file":
            guard !(method.config["token_file_path"] ?? "").isEmpty else { throw r.fail("method", "token_file: token_file_path is required") }
        default: break
        }
    }

    static func template(_ body: HCLObject, _ r: Reader, stanza: String) throws -> AgentConfig.Template {
        var template = AgentConfig.Template(file: r.file)
        for (key, value) in body.entries {
            switch key {
            case "source": template.source = try r.string(value, key)
            case "contents": template.contents = try r.string(value, key)
            case "destination": template.destination = try r.string(value, key)
            case "create_dest_dirs": template.createDestDirs = try r.bool(value, key)
            case "perms": template.perms = try r.mode(value, key)
            case "command":
                if case .list(let parts) = value {
                    template.command = try parts.map { try r.string($0, key) }
                } else {
                    let line = try r.string(value, key)
                    if !line.isEmpty { template.command = ["/bin/sh", "-c", line] }
                }
            case "command_timeout": template.commandTimeout = try r.duration(value, key)
            case "exec":
                for (option, item) in try r.object(value, key).entries {
                    switch option {
                    case "command":
                        if case .list(let parts) = item { template.command = try parts.map { try r.string($0, option) } }
                        else { template.command = ["/bin/sh", "-c", try r.string(item, option)] }
                    case "timeout": template.commandTimeout = try r.duration(item, option)
                    default: throw r.unknown(option, in: "\(stanza).exec")
                    }
                }
            case "error_on_missing_key": template.errorOnMissingKey = try r.bool(value, key)
            case "left_delimiter": template.leftDelimiter = try r.string(value, key)
            case "right_delimiter": template.rightDelimiter = try r.string(value, key)
            case "backup": template.backup = try r.bool(value, key)
            case "wait":
                for (option, item) in try r.object(value, key).entries {
                    switch option {
                    case "min": template.waitMin = try r.duration(item, option)
                    case "max": template.waitMax = try r.duration(item, option)
                    default: throw r.unknown(option, in: "\(stanza).wait")
                    }
                }
            case "sandbox_path", "function_denylist", "function_blacklist", "error_fatal":
                throw r.fail(key, "\(stanza): \(key) is not supported by tresor agent")
            default: throw r.unknown(key, in: stanza)
            }
        }
        if template.source.isEmpty == (template.contents == nil) {
            throw r.fail(stanza.hasPrefix("env_template") ? "env_template" : "template",
                         "\(stanza): exactly one of source and contents is required")
        }
        if stanza == "template" && template.destination.isEmpty {
            throw r.fail("template", "template: destination is required")
        }
        return template
    }

    static func listener(_ label: String?, _ body: HCLObject, _ r: Reader) throws -> AgentConfig.Listener {
        var listener = AgentConfig.Listener(type: label ?? "")
        for (key, value) in body.entries {
            switch key {
            case "type": listener.type = try r.string(value, key)
            case "address": listener.address = try r.string(value, key)
            case "tls_disable": listener.tlsDisable = try r.bool(value, key)
            case "tls_cert_file": listener.tlsCertFile = try r.string(value, key)
            case "tls_key_file": listener.tlsKeyFile = try r.string(value, key)
            case "require_request_header": listener.requireRequestHeader = try r.bool(value, key)
            case "socket_mode": listener.socketMode = try r.mode(value, key)
            case "agent_api":
                for (option, item) in try r.object(value, key).entries {
                    guard option == "enable_quit" else { throw r.fail(option, "listener: agent_api: unknown key \"\(option)\"") }
                    listener.enableQuit = try r.bool(item, option)
                }
            default: throw r.fail(key, "listener: \(key) is not supported by tresor agent")
            }
        }
        guard listener.type == "tcp" || listener.type == "unix" else {
            throw r.fail("listener", "listener type \"\(listener.type)\" is not supported (tcp, unix)")
        }
        guard !listener.address.isEmpty else { throw r.fail("listener", "listener: address is required") }
        if listener.type == "unix" { listener.tlsDisable = true }
        if !listener.tlsDisable && (listener.tlsCertFile.isEmpty || listener.tlsKeyFile.isEmpty) {
            throw r.fail("listener", "listener \(listener.address): tls_cert_file and tls_key_file are required unless tls_disable = true")
        }
        return listener
    }

    static func templateConfig(_ body: HCLObject, _ r: Reader) throws -> AgentConfig.TemplateConfig {
        var config = AgentConfig.TemplateConfig()
        for (key, value) in body.entries {
            switch key {
            case "exit_on_retry_failure": config.exitOnRetryFailure = try r.bool(value, key)
            case "static_secret_render_interval": config.staticSecretRenderInterval = max(try r.duration(value, key), .seconds(1))
            case "max_connections_per_host": config.maxConnectionsPerHost = max(try r.int(value, key), 1)
            case "lease_renewal_threshold":
                let fraction: Double?
                switch value {
                case .number(let number): fraction = number
                case .string(let text): fraction = Double(text)
                default: fraction = nil
                }
                guard let fraction, fraction > 0, fraction < 1 else {
                    throw r.fail(key, "template_config: lease_renewal_threshold must be a fraction between 0 and 1, such as 0.9")
                }
                config.leaseRenewalThreshold = fraction
            default: throw r.unknown(key, in: "template_config")
            }
        }
        return config
    }

    static let signals: [String: Int32] = ["SIGTERM": SIGTERM, "SIGINT": SIGINT, "SIGHUP": SIGHUP, "SIGQUIT": SIGQUIT, "SIGKILL": SIGKILL,
                                           "SIGUSR1": SIGUSR1, "SIGUSR2": SIGUSR2]

    static func exec(_ body: HCLObject, _ r: Reader) throws -> AgentConfig.Exec {
        var exec = AgentConfig.Exec()
        for (key, value) in body.entries {
            switch key {
            case "command":
                if case .list(let parts) = value { exec.command = try parts.map { try r.string($0, key) } }
                else { exec.command = [try r.string(value, key)] }
            case "restart_on_secret_changes":
                let mode = try r.string(value, key)
                guard mode == "always" || mode == "never" else { throw r.fail(key, "restart_on_secret_changes must be \"always\" or \"never\"") }
                exec.restartOnSecretChanges = mode
            case "restart_stop_signal":
                let name = try r.string(value, key).uppercased()
                let full = name.hasPrefix("SIG") ? name : "SIG" + name
                guard let signal = signals[full] else { throw r.fail(key, "restart_stop_signal \"\(name)\" is not a signal this agent knows") }
                exec.restartStopSignal = signal
                exec.restartStopSignalName = full
            case "child_process_stdout", "child_process_stderr":
                throw r.fail(key, "exec: \(key) is not supported; the child shares the agent's output")
            default: throw r.unknown(key, in: "exec")
            }
        }
        return exec
    }
}

import Foundation

/// What `tresor injector` is started with: vault-k8s's flags and defaults, each overridable by
/// its `AGENT_INJECT_*` environment variable (a non-empty variable wins over the flag, as in
/// vault-k8s).
public struct InjectorSettings: Sendable, Equatable {
    public var listen = ":8080"
    public var logLevel = "info"
    public var logFormat = "standard"
    /// The MutatingWebhookConfiguration whose caBundle the injector keeps current.
    public var tlsAuto = ""
    public var tlsAutoHosts = ""
    public var tlsCertFile = ""
    public var tlsKeyFile = ""
    public var vaultAddress = ""
    public var agentImage = InjectorSettings.defaultAgentImage
    public var authType = "kubernetes"
    public var authPath = "auth/kubernetes"
    public var runAsUser = "100"
    public var runAsGroup = "1000"
    public var runAsSameUser = false
    public var setSecurityContext = true
    public var cpuRequest = "250m"
    public var memoryRequest = "64Mi"
    public var ephemeralRequest = ""
    public var cpuLimit = "500m"
    public var memoryLimit = "128Mi"
    public var ephemeralLimit = ""
    public var defaultTemplate = "map"
    public var exitOnRetryFailure = true
    /// The default of `agent-revoke-on-shutdown`.
    public var revokeOnShutdown = false
    public var staticSecretRenderInterval = ""
    public var authMinBackoff = ""
    public var authMaxBackoff = ""
    /// HTTPS_PROXY for the agent containers.
    public var proxyAddress = ""

    public static let defaultAgentImage = "ghcr.io/tresor-project/tresor:0.1.0"

    public init() {}

    /// Every setting by its flag name (without dashes) and its environment variable.
    static let names: [(flag: String, env: String, key: WritableKeyPath<InjectorSettings, String> & Sendable)] = [
        ("listen", "AGENT_INJECT_LISTEN", \.listen),
        ("log-level", "AGENT_INJECT_LOG_LEVEL", \.logLevel),
        ("log-format", "AGENT_INJECT_LOG_FORMAT", \.logFormat),
        ("tls-auto", "AGENT_INJECT_TLS_AUTO", \.tlsAuto),
        ("tls-auto-hosts", "AGENT_INJECT_TLS_AUTO_HOSTS", \.tlsAutoHosts),
        ("tls-cert-file", "AGENT_INJECT_TLS_CERT_FILE", \.tlsCertFile),
        ("tls-key-file", "AGENT_INJECT_TLS_KEY_FILE", \.tlsKeyFile),
        ("vault-address", "AGENT_INJECT_VAULT_ADDR", \.vaultAddress),
        ("agent-image", "AGENT_INJECT_VAULT_IMAGE", \.agentImage),
        ("vault-image", "AGENT_INJECT_VAULT_IMAGE", \.agentImage),
        ("vault-auth-type", "AGENT_INJECT_VAULT_AUTH_TYPE", \.authType),
        ("vault-auth-path", "AGENT_INJECT_VAULT_AUTH_PATH", \.authPath),
        ("run-as-user", "AGENT_INJECT_RUN_AS_USER", \.runAsUser),
        ("run-as-group", "AGENT_INJECT_RUN_AS_GROUP", \.runAsGroup),
        ("cpu-request", "AGENT_INJECT_CPU_REQUEST", \.cpuRequest),
        ("memory-request", "AGENT_INJECT_MEM_REQUEST", \.memoryRequest),
        ("ephemeral-storage-request", "AGENT_INJECT_EPHEMERAL_REQUEST", \.ephemeralRequest),
        ("cpu-limit", "AGENT_INJECT_CPU_LIMIT", \.cpuLimit),
        ("memory-limit", "AGENT_INJECT_MEM_LIMIT", \.memoryLimit),
        ("ephemeral-storage-limit", "AGENT_INJECT_EPHEMERAL_LIMIT", \.ephemeralLimit),
        ("default-template", "AGENT_INJECT_DEFAULT_TEMPLATE", \.defaultTemplate),
        ("template-static-secret-render-interval", "AGENT_INJECT_TEMPLATE_STATIC_SECRET_RENDER_INTERVAL", \.staticSecretRenderInterval),
        ("auth-min-backoff", "AGENT_INJECT_AUTH_MIN_BACKOFF", \.authMinBackoff),
        ("auth-max-backoff", "AGENT_INJECT_AUTH_MAX_BACKOFF", \.authMaxBackoff),
        ("proxy-address", "AGENT_INJECT_PROXY_ADDR", \.proxyAddress),
    ]

    static let boolNames: [(flag: String, env: String, key: WritableKeyPath<InjectorSettings, Bool> & Sendable)] = [
        ("run-as-same-user", "AGENT_INJECT_RUN_AS_SAME_USER", \.runAsSameUser),
        ("set-security-context", "AGENT_INJECT_SET_SECURITY_CONTEXT", \.setSecurityContext),
        ("template-config-exit-on-retry-failure", "AGENT_INJECT_TEMPLATE_CONFIG_EXIT_ON_RETRY_FAILURE", \.exitOnRetryFailure),
        ("revoke-on-shutdown", "AGENT_INJECT_REVOKE_ON_SHUTDOWN", \.revokeOnShutdown),
    ]

    /// vault-k8s settings Tresor's injector does not have; refused rather than ignored.
    static let refused: [(flag: String, env: String, reason: String)] = [
        ("vault-namespace", "AGENT_INJECT_VAULT_NAMESPACE", "Tresor has no Vault Enterprise namespaces"),
        ("use-leader-elector", "AGENT_INJECT_USE_LEADER_ELECTOR", "run one injector replica per webhook, or give it -tls-cert-file"),
        ("telemetry-path", "AGENT_INJECT_TELEMETRY_PATH", "the injector serves no metrics yet"),
        ("vault-cacert-bytes", "AGENT_INJECT_VAULT_CACERT_BYTES", "mount the CA and use the ca-cert annotation"),
        ("tls-ca-cert-file", "AGENT_INJECT_TLS_CA_CERT_FILE", "give the webhook's caBundle in its configuration"),
        ("disable-idle-connections", "AGENT_INJECT_DISABLE_IDLE_CONNECTIONS", "not supported by Tresor's agent"),
        ("disable-keep-alives", "AGENT_INJECT_DISABLE_KEEP_ALIVES", "not supported by Tresor's agent"),
    ]

    /// Settings from `-flag=value` arguments, then the environment. Throws a message for the
    /// operator on an unknown flag, a refused one, or a value out of range.
    public static func parse(arguments: [String], environment: [String: String]) throws(InjectorError) -> InjectorSettings {
        var settings = InjectorSettings()
        var index = 0
        while index < arguments.count {
            var argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-") else { throw InjectorError("unexpected argument \"\(argument)\"") }
            while argument.hasPrefix("-") { argument.removeFirst() }
            var value: String?
            if let equals = argument.firstIndex(of: "=") {
                value = String(argument[argument.index(after: equals)...])
                argument = String(argument[..<equals])
            }
            if let entry = names.first(where: { $0.flag == argument }) {
                if value == nil {
                    guard index < arguments.count else { throw InjectorError("flag -\(argument) needs a value") }
                    value = arguments[index]
                    index += 1
                }
                settings[keyPath: entry.key] = value!
            } else if let entry = boolNames.first(where: { $0.flag == argument }) {
                guard let parsed = GoBool.parse(value ?? "true") else { throw InjectorError("flag -\(argument): \"\(value ?? "")\" is not a boolean") }
                settings[keyPath: entry.key] = parsed
            } else if let entry = refused.first(where: { $0.flag == argument }) {
                throw InjectorError("flag -\(entry.flag) is not supported: \(entry.reason)")
            } else {
                throw InjectorError("unknown flag -\(argument)")
            }
        }
        for entry in names {
            if let value = environment[entry.env], !value.isEmpty { settings[keyPath: entry.key] = value }
        }
        for entry in boolNames {
            if let value = environment[entry.env], !value.isEmpty {
                guard let parsed = GoBool.parse(value) else { throw InjectorError("\(entry.env): \"\(value)\" is not a boolean") }
                settings[keyPath: entry.key] = parsed
            }
        }
        for entry in refused {
            if let value = environment[entry.env], !value.isEmpty, value != "false" {
                throw InjectorError("\(entry.env) is not supported: \(entry.reason)")
            }
        }
        try settings.validate()
        return settings
    }

    func validate() throws(InjectorError) {
        guard !vaultAddress.isEmpty else { throw InjectorError("No Vault service configured: set -vault-address or AGENT_INJECT_VAULT_ADDR") }
        guard ["map", "json"].contains(defaultTemplate) else { throw InjectorError("Invalid default flag type: \(defaultTemplate)") }
        guard ["trace", "debug", "info", "notice", "warn", "warning", "err", "error"].contains(logLevel.lowercased()) else {
            throw InjectorError("unknown log level: \(logLevel)")
        }
        guard tlsCertFile.isEmpty == tlsKeyFile.isEmpty else { throw InjectorError("-tls-cert-file and -tls-key-file go together") }
        for (name, value) in [("auth-min-backoff", authMinBackoff), ("auth-max-backoff", authMaxBackoff)] where !value.isEmpty {
            guard GoDurationText.isValid(value) else { throw InjectorError("-\(name): \"\(value)\" is not a duration") }
        }
        for (name, value) in [("run-as-user", runAsUser), ("run-as-group", runAsGroup)] {
            guard Int64(value) != nil else { throw InjectorError("-\(name): \"\(value)\" is not a number") }
        }
        for (name, value) in [("cpu-request", cpuRequest), ("memory-request", memoryRequest), ("ephemeral-storage-request", ephemeralRequest),
                              ("cpu-limit", cpuLimit), ("memory-limit", memoryLimit), ("ephemeral-storage-limit", ephemeralLimit)] where !value.isEmpty {
            guard Quantity.isValid(value) else { throw InjectorError("-\(name): \"\(value)\" is not a Kubernetes quantity") }
        }
    }

    /// The listen address as host and port (`:8080` listens on every interface).
    public func listenAddress() throws(InjectorError) -> (host: String, port: Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw InjectorError("-listen \"\(listen)\" must be [host]:port")
        }
        let host = String(listen[..<colon])
        return (host.isEmpty ? "0.0.0.0" : host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port)
    }
}

/// A refusal with a message for the operator or the pod's author.
public struct InjectorError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

import Foundation

/// `tresor agent`'s configuration: Vault Agent's stanzas and keys, in HCL or JSON, several files
/// merged in order.
public struct AgentConfig: Sendable {
    public struct Vault: Sendable {
        public var address = ""
        public var caCert = ""
        public var caPath = ""
        public var clientCert = ""
        public var clientKey = ""
        public var tlsSkipVerify = false
        /// Retries of a failed request (5xx, 412, transport); Vault Agent's default is 12.
        public var numRetries = 12
        /// Whether `retry { num_retries }` was given; without it VAULT_MAX_RETRIES may set it.
        public var retriesConfigured = false
        /// How long one request may take; VAULT_CLIENT_TIMEOUT sets it, as in Vault's client.
        public var clientTimeout: Duration = .seconds(60)

        /// The stanza with VAULT_MAX_RETRIES and VAULT_CLIENT_TIMEOUT applied, as Vault's client
        /// reads them (the injector's client-max-retries and client-timeout annotations set them).
        public func applyingEnvironment(_ environment: [String: String]) throws -> Vault {
            var vault = self
            if let text = environment["VAULT_CLIENT_TIMEOUT"], !text.isEmpty {
                guard let parsed = GoDuration.parse(text), parsed > .zero else {
                    throw AgentFailure("VAULT_CLIENT_TIMEOUT \"\(text)\" is not a duration")
                }
                vault.clientTimeout = parsed
            }
            if !retriesConfigured, let text = environment["VAULT_MAX_RETRIES"], !text.isEmpty {
                guard let parsed = Int(text), parsed >= 0 else { throw AgentFailure("VAULT_MAX_RETRIES \"\(text)\" is not a whole number") }
                vault.numRetries = parsed
            }
            return vault
        }
    }

    public struct Method: Sendable {
        public var type: String
        public var mountPath: String
        public var minBackoff: Duration = .seconds(1)
        public var maxBackoff: Duration = .seconds(300)
        public var exitOnError = false
        public var config: [String: String] = [:]
        public var file = ""

        public init(type: String, mountPath: String, config: [String: String] = [:], file: String = "") {
            self.type = type
            self.mountPath = mountPath
            self.config = config
            self.file = file
        }
    }

    public struct Sink: Sendable {
        public var path: String
        /// Permission bits; Vault Agent writes sinks 0640 unless told.
        public var mode: UInt16 = 0o640
        /// When set, the sink gets a response-wrapped token: the `wrap_info` JSON, as Vault
        /// Agent writes it, for another process to unwrap once.
        public var wrapTTL: Duration?
    }

    public struct Template: Sendable {
        public var source = ""
        public var contents: String?
        public var destination = ""
        public var createDestDirs = true
        public var perms: UInt16?
        public var command: [String] = []
        public var commandTimeout: Duration = .seconds(30)
        public var errorOnMissingKey = false
        public var leftDelimiter = "{{"
        public var rightDelimiter = "}}"
        public var waitMin: Duration = .zero
        public var waitMax: Duration = .zero
        public var backup = false
        /// Which file the stanza came from.
        public var file = ""
    }

    public struct TemplateConfig: Sendable {
        public var exitOnRetryFailure = false
        public var staticSecretRenderInterval: Duration = .seconds(300)
        public var maxConnectionsPerHost = 10
        /// `lease_renewal_threshold`: the fraction of a lease (or certificate) after which it is
        /// renewed or fetched anew; unset, Tresor picks 60–70 %, spreading agents out.
        public var leaseRenewalThreshold: Double?
    }

    public struct EnvTemplate: Sendable {
        public var name: String
        public var template: Template
    }

    public struct Exec: Sendable {
        public var command: [String] = []
        /// "always" or "never".
        public var restartOnSecretChanges = "always"
        public var restartStopSignal: Int32 = SIGTERM
        public var restartStopSignalName = "SIGTERM"
    }

    public struct Listener: Sendable {
        /// "tcp" or "unix".
        public var type: String
        public var address = ""
        public var tlsDisable = false
        public var tlsCertFile = ""
        public var tlsKeyFile = ""
        public var requireRequestHeader = false
        public var socketMode: UInt16?
        /// `agent_api { enable_quit = true }`: `POST /agent/v1/quit` on this listener stops the agent.
        public var enableQuit = false
    }

    public var vault = Vault()
    public var listeners: [Listener] = []
    /// `api_proxy { use_auto_auth_token }` (or the older `cache` spelling): "true", "force" or "false".
    public var useAutoAuthToken = "false"
    public var methods: [Method] = []
    public var sinks: [Sink] = []
    public var templates: [Template] = []
    public var templateConfig = TemplateConfig()
    public var envTemplates: [EnvTemplate] = []
    public var exec: Exec?
    public var exitAfterAuth = false
    public var pidFile = ""
    /// nil when no file sets it: the flag or `VAULT_LOG_LEVEL` decides then.
    public var logLevel: String?

    public init() {}

    /// Later files override single values and add stanzas, as Vault merges agent configs.
    mutating func merge(_ other: AgentConfig, set: Set<String>) {
        if set.contains("vault") { vault = other.vault }
        methods += other.methods
        sinks += other.sinks
        templates += other.templates
        if set.contains("template_config") { templateConfig = other.templateConfig }
        envTemplates += other.envTemplates
        listeners += other.listeners
        if set.contains("api_proxy") || set.contains("cache") { useAutoAuthToken = other.useAutoAuthToken }
        if other.exec != nil { exec = other.exec }
        if set.contains("exit_after_auth") { exitAfterAuth = other.exitAfterAuth }
        if set.contains("pid_file") { pidFile = other.pidFile }
        if set.contains("log_level") { logLevel = other.logLevel }
    }
}

/// A configuration mistake, named by file and line.
public struct AgentConfigError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let line: Int?
    public let message: String

    public var description: String {
        if let line { return "error loading configuration from \(file): line \(line): \(message)" }
        return "error loading configuration from \(file): \(message)"
    }
}

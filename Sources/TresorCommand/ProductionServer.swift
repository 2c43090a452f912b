import Foundation
import HummingbirdTLS
import Logging
import NIOSSL
import ServiceLifecycle
import TresorAudit
@_spi(Server) import TresorCore
@_spi(Server) import TresorHTTP
import TresorAuth
import TresorSecrets
import TresorStorage

/// `tresor server -config=FILE`: durable storage, a seal, one or more listeners.
enum ProductionServer {
    static func run(configPaths: [String], logLevel: String?, logFormat: String? = nil) async throws {
        var config = try ServerConfigLoader.load(paths: configPaths)
        // As in Vault, these variables win over the file: a StatefulSet gives each pod its own
        // address through its environment while all pods share one configuration.
        let environment = ProcessInfo.processInfo.environment
        if let address = environment["VAULT_API_ADDR"], !address.isEmpty { config.apiAddr = address }
        if let address = environment["VAULT_CLUSTER_ADDR"], !address.isEmpty { config.clusterAddr = address }
        let level = logLevel ?? config.logLevel
        let logFile = config.logFile.isEmpty ? nil : LogSink.FileSettings(
            path: LogSink.resolve(config.logFile), rotateBytes: config.logRotateBytes,
            rotateDuration: .seconds(config.logRotateDuration ?? 24 * 3600), rotateMaxFiles: config.logRotateMaxFiles)
        let logger = try ServerLogging.logger(level: level, format: ServerLogging.format(flag: logFormat, configured: config.logFormat),
                                              file: logFile)
        // While the configuration is read and storage opened, another core prepares the first
        // connection's pipeline.
        EventLoops.other().execute { _ = ListenerWarmUp.run(logger: logger) }

        guard let storage = config.storage else {
            throw ConfigError(file: configPaths.joined(separator: ", "), line: nil, message: "no storage stanza: add storage \"sqlite\" { path = \"...\" }")
        }
        guard !config.listeners.isEmpty else {
            throw ConfigError(file: configPaths.joined(separator: ", "), line: nil, message: "no listener stanza: add listener \"tcp\" { address = \"127.0.0.1:8200\" }")
        }
        // Everything that can be wrong with the listeners is found before storage is touched.
        let prepared = try config.listeners.map { try PreparedListener($0) }
        for note in config.notes + config.listeners.flatMap(\.notes) {
            logger.notice("configuration key without effect here", metadata: ["note": "\(note)"])
        }
        if !config.disableMlock { try ServerProcess.lockMemory() }
        let removePIDFile = try config.pidFile.isEmpty ? nil : ServerProcess.writePIDFile(config.pidFile)
        defer { removePIDFile?() }
        let autoSeal = try SealFactory.make(config.seal, environment: environment)
        let (physical, storageType, haLock) = try await StorageFactory.make(storage, environment: environment, logger: logger)
        // Standbys forward to the active node's cluster listener, and redirect to its API address.
        let apiAddress = config.apiAddr.isEmpty ? prepared[0].url : config.apiAddr
        let cluster = haLock == nil ? nil : try ClusterAddresses(config: config, firstListener: config.listeners[0], apiAddress: apiAddress)
        for note in config.clusterNotes(haEnabled: haLock != nil) {
            logger.notice("configuration key without effect here", metadata: ["note": "\(note)"])
        }

        ServerTelemetry.start(config.telemetry)
        var registry = BackendRegistry()
        SecretsEngines.register(into: &registry)
        AuthMethods.register(into: &registry)
        let core = Core(physical: physical, registry: registry, storageType: storageType, autoSeal: autoSeal,
                        clusterName: config.clusterName.isEmpty ? nil : config.clusterName,
                        ttl: TTLDefaults(defaultTTL: config.defaultLeaseTTL > 0 ? config.defaultLeaseTTL : TTLDefaults.vault.defaultTTL,
                                         maxTTL: config.maxLeaseTTL > 0 ? config.maxLeaseTTL : TTLDefaults.vault.maxTTL),
                        auditSettings: AuditSettings(
                            allowAPIEnable: config.allowAPIAuditCreation ?? false,
                            declared: config.audit.map {
                                AuditDeviceConfig(path: $0.path.hasSuffix("/") ? $0.path : $0.path + "/", type: $0.type,
                                                  description: $0.description, options: $0.options, local: $0.local, declared: true)
                            },
                            makeDevice: AuditDevices.factory(allowPrefix: config.allowAuditLogPrefixing)),
                        cacheSize: config.disableCache ? 0 : (config.cacheSize > 0 ? config.cacheSize : Barrier.defaultCacheSize),
                        logger: logger, haLock: haLock, apiAddress: apiAddress, clusterAddress: cluster?.advertised ?? "")
        core.sanitizedConfig = config.sanitized
        if let cluster {
            core.setClusterRole(ClusterListener(core: core, host: cluster.host, port: cluster.port, maxRequestSize: prepared[0].maxRequestSize,
                                                jsonLimits: prepared[0].jsonLimits, logger: logger))
        }
        if let postgres = physical as? PostgreSQLBackend, haLock != nil {
            postgres.onFenceLost { [weak core] in core?.fencedOut() }
        }
        if let etcd = physical as? EtcdBackend, haLock != nil {
            etcd.onFenceLost { [weak core] in core?.fencedOut() }
        }
        let reopenOnHangUp = AuditReopener(core: core)

        let apps = try prepared.map { listener in
            try listener.application(core: core, logger: logger, webUI: config.ui) { port in
                logger.info("listening", metadata: ["address": "\(listener.scheme)://\(listener.host):\(port)"])
            }
        }
        printBanner(config: config, storageType: storageType, seal: autoSeal?.type ?? "shamir", listeners: prepared)
        defer { reopenOnHangUp.cancel() }
        // Shut down in reverse order: the listeners drain first, then the core's clockwork.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: MaintenanceService(core: core), serviceName: "maintenance")]
        if autoSeal != nil {
            services.append(.init(service: AutoUnsealService(core: core, logger: logger), serviceName: "auto-unseal"))
        }
        if haLock != nil {
            services.append(.init(service: HighAvailabilityService(core: core), serviceName: "high-availability"))
        }
        services += zip(prepared, apps).map { listener, app in
            ServiceGroupConfiguration.ServiceConfiguration(
                service: app, serviceName: "listener \(listener.scheme)://\(listener.host):\(listener.port)")
        }
        let group = ServiceGroup(configuration: .init(services: services,
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            await close(physical)
            throw error
        }
        await close(physical)
    }

    /// Storage closes last, once nothing serves requests any more: SQLite finishes its writes
    /// and releases the file (debug builds also assert that no connection is left open).
    static func close(_ physical: PhysicalBackend) async {
        await (physical as? SQLiteBackend)?.close()
    }

    static func printBanner(config: ServerConfig, storageType: String, seal: String, listeners: [PreparedListener]) {
        var lines = ["==> Tresor server configuration:", ""]
        lines.append("             Api Address: \(config.apiAddr.isEmpty ? listeners[0].url : config.apiAddr)")
        for listener in listeners {
            lines.append("                Listener: tcp (addr: \"\(listener.host):\(listener.port)\", tls: \"\(listener.tls == nil ? "disabled" : "enabled")\")")
        }
        lines.append("               Log Level: \(config.logLevel)")
        lines.append("                    Seal: \(seal)")
        lines.append("                 Storage: \(storageType)")
        lines.append("                 Version: Tresor v\(TresorVersionInfo.version)")
        lines.append("")
        lines.append("==> Tresor server started! Log data will stream in below:")
        lines.append("")
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}

/// A listener with its TLS material loaded and checked.
struct PreparedListener {
    let host: String
    let port: Int
    let tls: TLSConfiguration?
    let maxRequestSize: Int
    let jsonLimits: JSONLimits
    let unauthenticatedOperatorPaths: Set<String>

    var scheme: String { tls == nil ? "http" : "https" }
    var url: String { "\(scheme)://\(host):\(port)" }

    init(_ listener: ServerConfig.Listener) throws {
        guard let (host, port) = ServerCommand.splitAddress(listener.address) else {
            throw ConfigError(file: listener.file, line: nil, message: "listener address \"\(listener.address)\" is not host:port")
        }
        self.host = host
        self.port = port
        self.maxRequestSize = listener.maxRequestSize
        self.jsonLimits = listener.jsonLimits
        self.unauthenticatedOperatorPaths = listener.unauthenticatedOperatorPaths
        if listener.tlsDisable {
            tls = nil
            return
        }
        do {
            let configuration = try ListenerTLS.configuration(listener)
            // Building the context now checks the key belongs to the certificate, and the CA file.
            _ = try NIOSSLContext(configuration: configuration)
            tls = configuration
        } catch {
            var files = "tls_cert_file \(listener.tlsCertFile) with tls_key_file \(listener.tlsKeyFile)"
            if !listener.tlsClientCAFile.isEmpty { files += " and tls_client_ca_file \(listener.tlsClientCAFile)" }
            throw ConfigError(file: listener.file, line: nil, message: "listener \(listener.address): cannot use \(files): \(error)")
        }
    }

    func application(core: Core, logger: Logger, webUI: Bool, onRunning: @escaping @Sendable (Int) async -> Void) throws -> any Service {
        try TresorHTTPServer.listener(core: core, host: host, port: port, tls: tls, maxRequestSize: maxRequestSize, jsonLimits: jsonLimits,
                                     logger: logger, unauthenticatedOperatorPaths: unauthenticatedOperatorPaths, webUI: webUI, onRunning: onRunning)
    }
}

/// Where the cluster listener binds (the first listener's `cluster_address`, or its port + 1,
/// as in Vault) and the address standbys dial (`cluster_addr`, or the API address's host with
/// that port).
struct ClusterAddresses {
    let host: String
    let port: Int
    let advertised: String

    init(config: ServerConfig, firstListener: ServerConfig.Listener, apiAddress: String) throws {
        if !firstListener.clusterAddress.isEmpty, let (host, port) = ServerCommand.splitAddress(firstListener.clusterAddress) {
            (self.host, self.port) = (host, port)
        } else if let (host, port) = ServerCommand.splitAddress(firstListener.address) {
            (self.host, self.port) = (host, port + 1)
        } else {
            throw ConfigError(file: firstListener.file, line: nil, message: "listener address \"\(firstListener.address)\" is not host:port")
        }
        if !config.clusterAddr.isEmpty {
            guard let url = URLComponents(string: config.clusterAddr), url.host != nil, url.port != nil else {
                throw ConfigError(file: firstListener.file, line: nil, message: "cluster_addr \"\(config.clusterAddr)\" is not a URL such as https://10.0.0.1:8201")
            }
            guard url.scheme == "https" else {
                throw ConfigError(file: firstListener.file, line: nil, message: "cluster_addr \"\(config.clusterAddr)\": the cluster listener speaks only TLS, use https://")
            }
            advertised = config.clusterAddr
        } else {
            var url = URLComponents(string: apiAddress) ?? URLComponents()
            url.scheme = "https"
            url.port = port
            url.path = ""
            if url.host == nil || url.host == "" { url.host = host }
            advertised = url.string ?? "https://\(host):\(port)"
        }
    }
}

/// Turns a `storage` stanza into a physical backend.
enum StorageFactory {
    static func make(_ stanza: ServerConfig.Stanza, environment: [String: String], logger: Logger) async throws -> (PhysicalBackend, String, HALock?) {
        switch stanza.type {
        case "inmem":
            return (InMemoryBackend(), "inmem", nil)
        case "sqlite", "raft", "file":
            // Vault tutorials use raft or file storage with a directory; Tresor keeps one SQLite
            // file in that directory so those configs work unchanged.
            guard var path = stanza.options["path"], !path.isEmpty else {
                throw ConfigError(file: stanza.file, line: nil, message: "storage \"\(stanza.type)\": path is required")
            }
            if stanza.type != "sqlite" {
                path = (path as NSString).appendingPathComponent("tresor.db")
            }
            do {
                return (try await SQLiteBackend.open(path: path, logger: logger), "sqlite", nil)
            } catch let error as StorageError {
                throw ConfigError(file: stanza.file, line: nil, message: "storage \"\(stanza.type)\": \(error.description)")
            }
        case "postgresql":
            // VAULT_PG_CONNECTION_URL wins over the file, as in Vault: the URL and its password
            // can come from a Kubernetes Secret instead of the configuration.
            let fromEnvironment = environment["VAULT_PG_CONNECTION_URL"].flatMap { $0.isEmpty ? nil : $0 }
            guard let url = fromEnvironment ?? stanza.options["connection_url"], !url.isEmpty else {
                throw ConfigError(file: stanza.file, line: nil, message: "storage \"postgresql\": connection_url (or VAULT_PG_CONNECTION_URL) is required")
            }
            let haEnabled = ["true", "1", "t"].contains((stanza.options["ha_enabled"] ?? "false").lowercased())
            do {
                let backend = try await PostgreSQLBackend.open(connectionURL: url, table: stanza.options["table"] ?? "tresor_kv",
                                                               haTable: haEnabled ? stanza.options["ha_table"] ?? "vault_ha_locks" : nil, logger: logger)
                return (backend, "postgresql", haEnabled ? backend : nil)
            } catch let error as StorageError {
                throw ConfigError(file: stanza.file, line: nil, message: "storage \"postgresql\": \(error.description)")
            }
        case "etcd":
            let options = stanza.options
            if let api = options["etcd_api"], api != "v3" {
                throw ConfigError(file: stanza.file, line: nil, message: "storage \"etcd\": etcd_api \"\(api)\" is not supported; Tresor speaks etcd's v3 API")
            }
            let haEnabled = ["true", "1", "t"].contains((options["ha_enabled"] ?? "false").lowercased())
            if (options["tls_cert_file"] == nil) != (options["tls_key_file"] == nil) {
                throw ConfigError(file: stanza.file, line: nil, message: "storage \"etcd\": tls_cert_file and tls_key_file go together")
            }
            do {
                let backend = try await EtcdBackend.open(
                    addresses: options["address"] ?? "http://127.0.0.1:2379", path: options["path"] ?? "/vault/", haEnabled: haEnabled,
                    caFile: options["tls_ca_file"], certFile: options["tls_cert_file"], keyFile: options["tls_key_file"],
                    username: options["username"], password: options["password"], logger: logger)
                return (backend, "etcd", haEnabled ? backend : nil)
            } catch let error as StorageError {
                throw ConfigError(file: stanza.file, line: nil, message: "storage \"etcd\": \(error.description)")
            }
        default:
            throw ConfigError(file: stanza.file, line: nil, message: "unsupported storage type \"\(stanza.type)\" (sqlite, postgresql, etcd, inmem, raft, file)")
        }
    }
}

import Foundation
import Logging
import ServiceLifecycle

/// `tresor injector`: the mutating admission webhook that adds Tresor's agent to annotated pods.
public enum Injector {
    /// Runs until SIGTERM or SIGINT; returns the process's exit status.
    public static func run(arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment) async -> Int32 {
        let settings: InjectorSettings
        do {
            settings = try InjectorSettings.parse(arguments: arguments, environment: environment)
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            return 1
        }
        var logger = Logger(label: "injector")
        logger.logLevel = Self.level(settings.logLevel)
        do {
            try await serve(settings, environment: environment, logger: logger)
            return 0
        } catch {
            logger.error("injector stopped", metadata: ["error": "\(error)"])
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            return 1
        }
    }

    static func serve(_ settings: InjectorSettings, environment: [String: String], logger: Logger) async throws {
        let (host, port) = try settings.listenAddress()
        let server = WebhookServer(handler: AdmissionHandler(settings: settings), logger: logger)
        var background: [@Sendable () async -> Void] = []
        var api: KubernetesAPI?
        if !settings.tlsCertFile.isEmpty {
            let files = CertificateFiles(certificate: settings.tlsCertFile, key: settings.tlsKeyFile)
            let first = try files.read()
            try server.use(certificatePEM: first.certificate, keyPEM: first.key)
            background.append { await files.watch(from: first, server: server, logger: logger) }
        } else {
            let hosts = settings.tlsAutoHosts.split(separator: ",", omittingEmptySubsequences: true).map(String.init)
            let authority = try WebhookCertificates(hosts: hosts.isEmpty ? ["localhost"] : hosts)
            let issued = try authority.issue()
            try server.use(certificatePEM: issued.certificatePEM, keyPEM: issued.keyPEM)
            background.append { await renew(authority, after: issued, server: server, logger: logger) }
            if !settings.tlsAuto.isEmpty {
                let client = try KubernetesAPI.inCluster(environment: environment)
                api = client
                let keeper = CABundleKeeper(api: client, configuration: settings.tlsAuto, caPEM: authority.caPEM, logger: logger)
                background.append { await keeper.run() }
            }
        }
        // The API client must be shut down however serving ends.
        do {
            let listener = try server.service(host: host, port: port) { bound in
                // One line on stdout that says where it listens: operators and tests read it.
                FileHandle.standardOutput.write(Data("tresor injector listening on \(host):\(bound)\n".utf8))
            }
            let group = ServiceGroup(configuration: .init(services: [listener], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for work in background { tasks.addTask { await work() } }
                tasks.addTask { try await group.run() }
                // The listener ending (a signal) ends the injector.
                try await tasks.next()
                tasks.cancelAll()
            }
        } catch {
            try? await api?.client.shutdown()
            throw error
        }
        try? await api?.client.shutdown()
    }

    /// Issues the next serving certificate 10% of a certificate's life before each one ends.
    static func renew(_ authority: WebhookCertificates, after first: WebhookCertificates.Issued, server: WebhookServer, logger: Logger) async {
        var issued = first
        while !Task.isCancelled {
            let wait = WebhookCertificates.renewal(of: issued).timeIntervalSinceNow
            if wait > 0 { try? await Task.sleep(for: .seconds(wait)) }
            if Task.isCancelled { return }
            do {
                issued = try authority.issue()
                try server.use(certificatePEM: issued.certificatePEM, keyPEM: issued.keyPEM)
                logger.info("renewed the serving certificate")
            } catch {
                logger.error("cannot renew the serving certificate", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(30))
            }
        }
    }

    static func level(_ text: String) -> Logger.Level {
        switch text.lowercased() {
        case "trace": .trace
        case "debug": .debug
        case "warn", "warning": .warning
        case "err", "error": .error
        default: .info
        }
    }
}

/// `-tls-cert-file`/`-tls-key-file`: read at start and re-read when they change (a cert-manager
/// renewal), checked every few seconds.
struct CertificateFiles: Sendable {
    let certificate: String
    let key: String

    func read() throws -> (certificate: String, key: String) {
        do {
            return (try String(contentsOfFile: certificate, encoding: .utf8), try String(contentsOfFile: key, encoding: .utf8))
        } catch {
            throw InjectorError("cannot read the TLS certificate or key: \(error.localizedDescription)")
        }
    }

    func watch(from first: (certificate: String, key: String), server: WebhookServer, logger: Logger) async {
        var last = first
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(2))
            guard let now = try? read(), now != last else { continue }
            do {
                try server.use(certificatePEM: now.certificate, keyPEM: now.key)
                last = now
                logger.info("loaded the changed TLS certificate")
            } catch {
                // A half-written pair: try again on the next turn.
                logger.warning("the TLS certificate files changed but do not load yet", metadata: ["error": "\(error)"])
            }
        }
    }
}

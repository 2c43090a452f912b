import ArgumentParser
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import TresorAuth
import TresorCLI
import TresorAudit
@_spi(Server) import TresorCore
@_spi(Server) import TresorHTTP
import TresorSecrets

/// `tresor server -dev`: in memory, initialised and unsealed, the root token printed and written
/// to the CLI's token helper.
enum DevServer {
    static func run(rootTokenID: String?, listen: String, logLevel: String, logFormat: String = "") async throws {
        guard let (host, port) = ServerCommand.splitAddress(listen) else {
            throw ValidationError("invalid listen address \"\(listen)\": expected host:port")
        }
        let logger = try ServerLogging.logger(level: logLevel, format: logFormat, file: nil)
        ServerTelemetry.start(ServerTelemetry.Settings())

        var registry = BackendRegistry()
        SecretsEngines.register(into: &registry)
        AuthMethods.register(into: &registry)
        // The address clients reach this server at: identity tokens name it as their issuer.
        let apiAddress = ProcessInfo.processInfo.environment["VAULT_API_ADDR"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://\(host):\(port)"
        let core = Core(physical: InMemoryBackend(), registry: registry, storageType: "inmem",
                        auditSettings: AuditSettings(makeDevice: AuditDevices.factory(allowPrefix: false)), logger: logger,
                        apiAddress: apiAddress)
        core.sanitizedConfig = ServerConfig.dev(listen: listen, apiAddress: apiAddress).sanitized
        let reopenOnHangUp = AuditReopener(core: core)
        defer { reopenOnHangUp.cancel() }

        // The core initialises on a second event loop while this one builds and binds the
        // listener (the two take about as long); requests that arrive first wait at the gate,
        // which the initialisation opens.
        let ready = StartGate()
        let banner = Banner(host: host)
        let initialized = EventLoops.other().runTask {
            let (unsealKey, rootToken) = try await core.initializeDev(rootTokenID: rootTokenID?.isEmpty == false ? rootTokenID : nil)
            // Requests first: writing the token file can wait on the file system's journal.
            ready.open()
            writeTokenHelper(rootToken)
            banner.initialized(unsealKey: unsealKey, rootToken: rootToken)
        }
        // Meanwhile this loop has time to spare for the first connection's one-time costs.
        _ = ListenerWarmUp.run(logger: logger)
        let http = try TresorHTTPServer.listener(core: core, host: host, port: port, logger: logger, startGate: ready, webUI: true) { boundPort in
            banner.bound(port: boundPort)
        }
        let group = ServiceGroup(configuration: .init(
            services: [
                .init(service: Initialization(result: initialized), successTerminationBehavior: .ignore,
                      serviceName: "dev-mode initialisation"),
                .init(service: MaintenanceService(core: core), serviceName: "maintenance"),
                .init(service: http, serviceName: "listener http://\(host):\(port)"),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// Waits for the initialisation started before the service group: a failure stops the
    /// group, and the server exits with it.
    private struct Initialization: Service {
        let result: EventLoopFuture<Void>

        func run() async throws { try await result.get() }
    }

    /// The banner needs the bound port and the root token, which arrive in either order.
    private final class Banner: Sendable {
        private struct Parts {
            var port: Int?
            var keys: (unsealKey: [UInt8], rootToken: String)?
        }
        private let host: String
        private let parts = Mutex(Parts())

        init(host: String) { self.host = host }

        func bound(port: Int) { printOnceComplete { $0.port = port } }
        func initialized(unsealKey: [UInt8], rootToken: String) { printOnceComplete { $0.keys = (unsealKey, rootToken) } }

        private func printOnceComplete(_ update: (inout Parts) -> Void) {
            let complete = parts.withLock { parts -> (Int, [UInt8], String)? in
                let wasComplete = parts.port != nil && parts.keys != nil
                update(&parts)
                guard !wasComplete, let port = parts.port, let keys = parts.keys else { return nil }
                return (port, keys.unsealKey, keys.rootToken)
            }
            if let (port, unsealKey, rootToken) = complete {
                printBanner(address: "http://\(host):\(port)", unsealKey: unsealKey, rootToken: rootToken)
            }
        }
    }

    /// Dev mode logs the CLI in, as Vault's does, so the next command just works.
    static func writeTokenHelper(_ token: String) {
        guard let home = getenv("HOME").map({ String(cString: $0) }), !home.isEmpty else { return }
        try? TokenHelperFile.write(token, home: home)
    }

    static func printBanner(address: String, unsealKey: [UInt8], rootToken: String) {
        let banner = """
        ==> Tresor server configuration:

                     Api Address: \(address)
                       Log Level: info
                         Storage: inmem
                         Version: Tresor v\(TresorVersionInfo.version) (Vault API \(TresorVersion.current))

        ==> Tresor server started! Log data will stream in below:

        WARNING! dev mode is enabled! In this mode, Tresor runs entirely in-memory
        and starts unsealed with a single unseal key. The root token is already
        authenticated to the CLI, so you can immediately begin using Tresor.

        You may need to set the following environment variables:

            $ export VAULT_ADDR='\(address)'

        The unseal key and root token are displayed below in case you want to
        seal/unseal the Vault or re-authenticate.

        Unseal Key: \(Data(unsealKey).base64EncodedString())
        Root Token: \(rootToken)

        Development mode should NOT be used in production installations!

        """
        FileHandle.standardOutput.write(Data(banner.utf8))
    }
}

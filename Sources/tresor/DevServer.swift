import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import TresorAuth
import TresorCore
import TresorHTTP
import TresorSecrets

/// `tresor server -dev`: in memory, initialised and unsealed, the root token printed and written
/// to the CLI's token helper.
enum DevServer {
    static func run(rootTokenID: String?, listen: String, logLevel: String) async throws {
        guard let (host, port) = ServerCommand.splitAddress(listen) else {
            throw ValidationError("invalid listen address \"\(listen)\": expected host:port")
        }
        var logger = Logger(label: "tresor")
        logger.logLevel = Logger.Level(rawValue: logLevel == "warn" ? "warning" : logLevel) ?? .info

        var registry = BackendRegistry()
        SecretsEngines.register(into: &registry)
        AuthMethods.register(into: &registry)
        let core = Core(physical: InMemoryBackend(), registry: registry, storageType: "inmem", logger: logger)
        let (unsealKey, rootToken) = try await core.initializeDev(rootTokenID: rootTokenID?.isEmpty == false ? rootTokenID : nil)
        writeTokenHelper(rootToken)
        let reopenOnHangUp = AuditReopener(core: core)
        defer { reopenOnHangUp.cancel() }

        let http = try TresorHTTPServer.listener(core: core, host: host, port: port, logger: logger) { boundPort in
            printBanner(address: "http://\(host):\(boundPort)", unsealKey: unsealKey, rootToken: rootToken)
        }
        let listener = ListenerService(application: http, description: "listener http://\(host):\(port)")
        let group = ServiceGroup(configuration: .init(services: [.init(service: listener)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// Dev mode logs the CLI in, as Vault's does, so the next command just works.
    /// Plain POSIX calls: Foundation's createFile writes a temporary file, renames it and sets
    /// attributes, a noticeable share of dev-mode start-up for a 28-byte file.
    static func writeTokenHelper(_ token: String) {
        guard let home = getenv("HOME").map({ String(cString: $0) }), !home.isEmpty else { return }
        let fd = open(home + "/.vault-token", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        // An existing file keeps its mode on open; the token must not stay readable by others.
        guard fchmod(fd, 0o600) == 0 else { return }
        _ = Array(token.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
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

import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import TresorCore
import TresorHTTP
import TresorAuth
import TresorSecrets

struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Start a Tresor server.",
        discussion: """
        Examples:
          tresor server -dev
          tresor server -dev -dev-root-token-id=root -dev-listen-address=127.0.0.1:8200
        """)

    @Flag(name: .customLong("dev"), help: "Development mode: in memory, initialised and unsealed, root token printed.")
    var dev = false

    @Option(name: .customLong("dev-root-token-id"), help: "The root token's ID in dev mode (env VAULT_DEV_ROOT_TOKEN_ID).")
    var devRootTokenID: String?

    @Option(name: .customLong("dev-listen-address"), help: "Address to listen on in dev mode (env VAULT_DEV_LISTEN_ADDRESS).")
    var devListenAddress: String?

    @Option(name: .customLong("config"), help: "Path to a configuration file.")
    var config: [String] = []

    @Option(name: .customLong("log-level"), help: "trace, debug, info, warn or error.")
    var logLevel: String = "info"

    private var logLevelGiven: Bool { CommandLine.arguments.contains { $0.contains("log-level") } }

    func run() async throws {
        guard dev else {
            guard !config.isEmpty else {
                throw ValidationError("a configuration file must be given with -config=FILE (or use -dev)")
            }
            try await ProductionServer.run(configPaths: config, logLevel: logLevelGiven ? logLevel : nil)
            return
        }
        let environment = ProcessInfo.processInfo.environment
        let listen = devListenAddress ?? environment["VAULT_DEV_LISTEN_ADDRESS"] ?? "127.0.0.1:8200"
        guard let (host, port) = Self.splitAddress(listen) else {
            throw ValidationError("invalid listen address \"\(listen)\": expected host:port")
        }
        let rootTokenID = devRootTokenID ?? environment["VAULT_DEV_ROOT_TOKEN_ID"]

        var logger = Logger(label: "tresor")
        logger.logLevel = Logger.Level(rawValue: logLevel == "warn" ? "warning" : logLevel) ?? .info

        var registry = BackendRegistry()
        SecretsEngines.register(into: &registry)
        AuthMethods.register(into: &registry)
        let core = Core(physical: InMemoryBackend(), registry: registry, storageType: "inmem", logger: logger)
        let (unsealKey, rootToken) = try await core.initializeDev(rootTokenID: rootTokenID?.isEmpty == false ? rootTokenID : nil)
        Self.writeTokenHelper(rootToken)
        let reopenOnHangUp = AuditReopener(core: core)
        defer { reopenOnHangUp.cancel() }

        let app = try TresorHTTPServer.application(core: core, host: host, port: port, logger: logger) { boundPort in
            Self.printBanner(address: "http://\(host):\(boundPort)", unsealKey: unsealKey, rootToken: rootToken)
        }
        let listener = ListenerService(application: app, description: "listener http://\(host):\(port)")
        let group = ServiceGroup(configuration: .init(services: [.init(service: listener)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    static func splitAddress(_ address: String) -> (String, Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              (0...65535).contains(port) else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
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

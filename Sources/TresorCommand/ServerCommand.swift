import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
@_spi(Server) import TresorCore
@_spi(Server) import TresorHTTP
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

    @Option(name: .customLong("log-level"), help: "trace, debug, info (the default), warn or error.")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "standard (the default) or json (env VAULT_LOG_FORMAT).")
    var logFormat: String?

    /// What the flags ask for; the fast reader in `ServerArguments.swift` must agree on it.
    var options: ServerOptions {
        ServerOptions(dev: dev, devRootTokenID: devRootTokenID, devListenAddress: devListenAddress,
                      configPaths: config, logLevel: logLevel, logFormat: logFormat)
    }

    func run() async throws {
        try await options.run()
    }

    static func splitAddress(_ address: String) -> (String, Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              (0...65535).contains(port) else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }
}

import ArgumentParser
import Foundation
import TresorAgent

/// `tresor agent -config=FILE [-config=FILE...]`: Vault Agent's command.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent", abstract: "Run the agent: auto-auth, token sinks, templates, exec.",
        discussion: "Usage: tresor agent -config=agent.hcl\n\nSeveral -config files (HCL or JSON) are merged in order.")

    @Option(name: .customLong("config"), help: "A configuration file; repeat to merge several.")
    var config: [String] = []

    @Option(name: .customLong("log-level"), help: "trace, debug, info, warn or error.")
    var logLevel: String?

    @Flag(name: .customLong("exit-after-auth"), help: "Exit after authenticating and rendering every template once.")
    var exitAfterAuth = false

    func run() async throws {
        let status = await Agent.run(configPaths: config, logLevel: logLevel, exitAfterAuth: exitAfterAuth)
        if status != 0 { throw ExitCode(status) }
    }
}

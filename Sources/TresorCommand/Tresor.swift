import ArgumentParser
import Foundation
import TresorCLI

/// Vault's CLI takes `-flag=value` with one dash; swift-argument-parser wants two for long
/// names. Rewrite single-dash long flags before parsing so both spellings work.
func normalizedArguments(_ arguments: [String]) -> [String] {
    var result: [String] = []
    var passthrough = false
    for argument in arguments {
        if passthrough || argument == "-" || argument == "--" {
            if argument == "--" { passthrough = true }
            result.append(argument)
            continue
        }
        if argument.hasPrefix("-") && !argument.hasPrefix("--") && argument.count > 2 {
            result.append("-" + argument)
        } else {
            result.append(argument)
        }
    }
    return result
}

/// The `tresor` command line. The executables `tresor` and `tresor-static` (the same program
/// linked with a static C library, for images with nothing else in them) only call `main`.
public struct Tresor: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "tresor",
        abstract: "A secrets manager that speaks Vault's API.",
        subcommands: [ServerCommand.self, AgentCommand.self, RunCommand.self, InjectorCommand.self, VersionCommand.self, AuditCommand.self] + CLICommands.all)

    public static func start() async {
        let arguments = normalizedArguments(Array(CommandLine.arguments.dropFirst()))
        if arguments.first == "server" {
            // Client commands keep the default pool: they block on shutdown, which no event loop
            // may do.
            _ = ConcurrencyOnEventLoops.install()
        }
        do {
            var command: ParsableCommand
            if arguments.first == "server", !arguments.contains(where: { $0 == "--help" || $0 == "-h" || $0 == "help" }) {
                // Parsing only the server's flags skips building the argument sets of every
                // client command, which was a tenth of the server's start-up time.
                let flags = Array(arguments.dropFirst())
                if let options = ServerOptions.parseKnownFlags(flags) {
                    try await options.run()
                    return
                }
                command = try ServerCommand.parse(flags)
            } else {
                command = try parseAsRoot(arguments)
            }
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            // Vault's habits: help on stdout with 0, usage mistakes one line on stderr with 1,
            // an unknown command 127.
            let message = Tresor.message(for: error)
            let isHelp = Tresor.exitCode(for: error) == .success
            if isHelp {
                print(Tresor.fullMessage(for: error))
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            if let first = arguments.first, !first.hasPrefix("-"), !Self.commandNames.contains(first) {
                Foundation.exit(127)
            }
            Foundation.exit(1)
        }
    }

    static var commandNames: Set<String> { CLICommands.names.union(["server", "agent", "run", "injector", "version", "audit"]) }
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")

    func run() throws {
        print("Tresor v\(TresorVersionInfo.version)")
    }
}

enum TresorVersionInfo {
    static let version = "0.1.0"
}

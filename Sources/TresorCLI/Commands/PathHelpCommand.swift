import ArgumentParser
import Foundation
import TresorJSON

struct PathHelpCommand: APICommand {
    static let configuration = CommandConfiguration(commandName: "path-help", abstract: "Show the server's help for a path.",
        discussion: "Example:\n  tresor path-help secret/data/my-app")
    @OptionGroup var global: GlobalOptions
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        try expectArguments(arguments, 1)
        let path = sanitizePath(arguments[0])
        let response = try await ctx.call("GET", path, query: "help=1", prefix: "Error retrieving help: ")
        guard let help = VaultJSON(response.json).object["help"]?.stringValue else {
            throw CLIFailure.server("No help available for \(path)")
        }
        UI.output(help)
    }
}

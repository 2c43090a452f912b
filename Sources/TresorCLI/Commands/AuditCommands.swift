import ArgumentParser
import Foundation
import TresorJSON

struct AuditEnable: APICommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Enable an audit device.",
        discussion: "Example:\n  tresor audit enable file file_path=/var/log/tresor/audit.log")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("path")) var path: String?
    @Option(name: .customLong("description")) var description: String = ""
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        guard let type = arguments.first else { throw CLIFailure.usage("Not enough arguments (expected 1, got 0)") }
        let options = try KeyValueArguments.parse(Array(arguments.dropFirst()))
        let mount = sanitizePath(path ?? type).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        _ = try await ctx.call("PUT", "sys/audit/" + mount, body: ["type": .string(type), "description": .string(description), "options": .object(options)],
                               prefix: "Error enabling audit device: ")
        UI.output("Success! Enabled the \(type) audit device at: \(mount)/")
    }
}

struct AuditDisable: APICommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Disable an audit device.", discussion: "Example:\n  tresor audit disable file/")
    @OptionGroup var global: GlobalOptions
    @Argument var arguments: [String] = []
    func execute(_ ctx: CLIContext) async throws {
        try expectArguments(arguments, 1)
        let mount = sanitizePath(arguments[0]).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        _ = try await ctx.call("DELETE", "sys/audit/" + mount, prefix: "Error disabling audit device: ")
        UI.output("Success! Disabled audit device (if it was enabled) at: \(mount)/")
    }
}

struct AuditList: APICommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List audit devices.", discussion: "Example:\n  tresor audit list")
    @OptionGroup var global: GlobalOptions
    func execute(_ ctx: CLIContext) async throws {
        let data = VaultJSON(try await ctx.call("GET", "sys/audit", prefix: "Error listing audits: ").json).data
        if data.isEmpty {
            UI.output("No audit devices are enabled.")
            throw CLIFailure.silent(2)
        }
        if ctx.format == "json" { return UI.output(PrettyJSON.render(.object(data))) }
        let rows = data.keys.sorted().map { path -> [String] in
            let device = data[path]?.objectValue ?? [:]
            return [path, device["type"]?.stringValue ?? "", device["description"]?.stringValue ?? ""]
        }
        UI.output(Columns.format(rows, header: ["Path", "Type", "Description"]))
    }
}

import ArgumentParser
import Foundation
import TresorJSON

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "policy", abstract: "Manage ACL policies.",
        subcommands: [PolicyWrite.self, PolicyRead.self, PolicyList.self, PolicyDelete.self, PolicyFmt.self])
}

struct PolicyWrite: APICommand {
    static let configuration = CommandConfiguration(commandName: "write", abstract: "Upload a policy from a file or stdin (-).",
        discussion: "Example:\n  tresor policy write my-policy ./my-policy.hcl\n  cat my-policy.hcl | tresor policy write my-policy -")
    @OptionGroup var global: GlobalOptions
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        try expectArguments(arguments, 2)
        let name = arguments[0].trimmingCharacters(in: .whitespaces).lowercased()
        let text: String
        if arguments[1] == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            guard let data = FileManager.default.contents(atPath: arguments[1]) else {
                throw CLIFailure.server("Error opening policy file: open \(arguments[1]): no such file or directory")
            }
            text = String(decoding: data, as: UTF8.self)
        }
        if name != arguments[0] { UI.error("Policy name was converted from \"\(arguments[0])\" to \"\(name)\"") }
        _ = try await ctx.call("PUT", "sys/policies/acl/" + name, body: ["policy": .string(text)], prefix: "Error uploading policy: ")
        UI.output("Success! Uploaded policy: \(name)")
    }
}

struct PolicyRead: APICommand {
    static let configuration = CommandConfiguration(commandName: "read", abstract: "Print a policy's text.",
        discussion: "Example:\n  tresor policy read my-policy")
    @OptionGroup var global: GlobalOptions
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        try expectArguments(arguments, 1)
        let name = arguments[0].lowercased()
        let response = try await ctx.call("GET", "sys/policies/acl/" + name, prefix: "Error reading policy named \(name): ")
        guard response.status != 404, let policy = VaultJSON(response.json).data["policy"]?.stringValue else {
            throw CLIFailure.server("No policy named: \(name)")
        }
        if ctx.format == "json" {
            UI.output(PrettyJSON.render(["policy": .string(policy)]))
        } else {
            UI.output(policy.trimmingSpaces())
        }
    }
}

struct PolicyList: APICommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List policy names.",
        discussion: "Example:\n  tresor policy list")
    @OptionGroup var global: GlobalOptions

    func execute(_ ctx: CLIContext) async throws {
        let response = try await ctx.call("GET", "sys/policies/acl", query: "list=true", prefix: "Error listing policies: ")
        let keys = VaultJSON(response.json).data["keys"]?.arrayValue ?? []
        if ctx.format == "json" {
            UI.output(PrettyJSON.render(.array(keys)))
        } else {
            UI.output(keys.compactMap(\.stringValue).joined(separator: "\n"))
        }
    }
}

struct PolicyDelete: APICommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a policy.",
        discussion: "Example:\n  tresor policy delete my-policy")
    @OptionGroup var global: GlobalOptions
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        try expectArguments(arguments, 1)
        let name = arguments[0].lowercased()
        _ = try await ctx.call("DELETE", "sys/policies/acl/" + name, prefix: "Error deleting \(name): ")
        UI.output("Success! Deleted policy: \(name)")
    }
}

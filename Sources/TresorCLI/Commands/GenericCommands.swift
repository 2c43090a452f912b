import ArgumentParser
import Foundation
import TresorJSON

struct ReadCommand: APICommand {
    static let configuration = CommandConfiguration(commandName: "read", abstract: "Read data from a path.",
        discussion: "Example:\n  tresor read secret/data/my-app\n  tresor read -field=password database/creds/readonly")
    @OptionGroup var global: GlobalOptions
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        guard let raw = arguments.first else { throw CLIFailure.usage("Not enough arguments (expected 1, got 0)") }
        let path = sanitizePath(raw)
        var query: [String] = []
        for extra in arguments.dropFirst() {
            guard extra.contains("=") else { throw CLIFailure.usage("Failed to parse K=V data: invalid key/value pair \"\(extra)\": format must be key=value") }
            query.append(extra)
        }
        let response = try await ctx.call("GET", path, query: query.isEmpty ? nil : query.joined(separator: "&"), prefix: "Error reading \(path): ")
        guard response.status != 404, let json = response.json, json.objectValue?["errors"] == nil else {
            throw CLIFailure.server("No value found at \(path)")
        }
        try Printer(format: ctx.format, field: ctx.field).secret(json)
    }
}

struct WriteCommand: APICommand {
    static let configuration = CommandConfiguration(commandName: "write", abstract: "Write data to a path.",
        discussion: "Example:\n  tresor write secret/my-app password=s3cr3t\n  tresor write sys/policies/acl/app policy=@app.hcl")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("f"), .customLong("force")], help: "Write even without data.") var force = false
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        guard let raw = arguments.first else { throw CLIFailure.usage("Not enough arguments (expected 1, got 0)") }
        let path = sanitizePath(raw)
        let data = try KeyValueArguments.parse(Array(arguments.dropFirst()))
        if data.isEmpty && !force { throw CLIFailure.usage("Must supply data or use -force") }
        let response = try await ctx.call("PUT", path, body: .object(data), prefix: "Error writing data to \(path): ")
        if response.status == 404 { throw CLIFailure.server("Error writing data to \(path): " + APIErrorText.describe(response, method: "PUT", url: ctx.client.url(path))) }
        guard let json = response.json else {
            if ctx.format == "table" { UI.output("Success! Data written to: \(path)") }
            return
        }
        try Printer(format: ctx.format, field: ctx.field).secret(json)
    }
}

struct ListCommand: APICommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List data or secrets at a path.",
        discussion: "Example:\n  tresor list secret/metadata/")
    @OptionGroup var global: GlobalOptions
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        try expectArguments(arguments, 1)
        var path = sanitizePath(arguments[0])
        if path.hasSuffix("/") { path.removeLast() }
        let response = try await ctx.call("GET", path, query: "list=true", prefix: "Error listing \(path)/: ")
        try ListOutput.print(response.json, status: response.status, path: path + "/", ctx: ctx)
    }
}

/// What list commands print: sorted keys under a "Keys" header, or the raw array as JSON.
enum ListOutput {
    static func print(_ json: JSONValue?, status: Int, path: String, ctx: CLIContext) throws {
        guard status != 404, let keys = json?.objectValue?["data"]?.objectValue?["keys"]?.arrayValue, !keys.isEmpty else {
            if ctx.format != "table" {
                UI.output("{}")
                throw CLIFailure.silent(2)
            }
            throw CLIFailure.server("No value found at \(path)")
        }
        UI.warnings(json, format: ctx.format)
        switch ctx.format {
        case "json": UI.output(PrettyJSON.render(.array(keys)))
        case "yaml": UI.output(keys.map { "- " + YAML.scalar($0) }.joined(separator: "\n"))
        default:
            let sorted = keys.compactMap(\.stringValue).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            UI.output(Columns.format(sorted.map { [$0] }, header: ["Keys"]))
        }
    }
}

struct DeleteCommand: APICommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete secrets and configuration.",
        discussion: "Example:\n  tresor delete secret/my-app")
    @OptionGroup var global: GlobalOptions
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        guard let raw = arguments.first else { throw CLIFailure.usage("Not enough arguments (expected 1, got 0)") }
        let path = sanitizePath(raw)
        let response = try await ctx.call("DELETE", path, prefix: "Error deleting \(path): ")
        if let json = response.json, response.status != 404, json.objectValue?["errors"] == nil {
            try Printer(format: ctx.format, field: ctx.field).secret(json)
        } else if ctx.format == "table" {
            UI.output("Success! Data deleted (if it existed) at: \(path)")
        }
    }
}

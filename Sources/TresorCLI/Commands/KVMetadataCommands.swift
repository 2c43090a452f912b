import ArgumentParser
import Foundation
import TresorJSON

struct KVMetadata: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "metadata", abstract: "Interact with a secret's metadata (KV v2).",
        subcommands: [KVMetadataGet.self, KVMetadataPut.self, KVMetadataDelete.self])
}

struct KVMetadataGet: APICommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show a secret's metadata and versions.",
        discussion: "Example:\n  tresor kv metadata get secret/creds")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("mount")) var mount: String?
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        let path = try await KVTarget.metadataPath(arguments, mountFlag: mount, ctx: ctx)
        let response = try await ctx.call("GET", path, prefix: "Error reading \(path): ")
        guard response.status != 404, let json = response.json else { throw CLIFailure.server("No value found at \(path)") }
        guard ctx.format == "table", ctx.field == nil else { return try Printer(format: ctx.format, field: ctx.field).secret(json) }
        var data = VaultJSON(json).data
        let versions = data.removeValue(forKey: "versions")?.objectValue ?? [:]
        UI.output(UI.header("Metadata Path", total: path.utf8.count))
        UI.output(path)
        UI.output("")
        UI.output(UI.mapHeader("Metadata", data))
        UI.output(Columns.keyValue(SecretTable.dataRows(data)))
        for key in versions.keys.sorted(by: { (Int($0) ?? 0) < (Int($1) ?? 0) }) {
            let version = versions[key]?.objectValue ?? [:]
            UI.output("\n" + UI.mapHeader("Version \(key)", version))
            UI.output(Columns.keyValue(SecretTable.dataRows(version)))
        }
    }
}

struct KVMetadataPut: APICommand {
    static let configuration = CommandConfiguration(commandName: "put", abstract: "Set a secret's metadata.",
        discussion: "Example:\n  tresor kv metadata put -max-versions=5 -custom-metadata=owner=ops secret/creds")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("mount")) var mount: String?
    @Option(name: .customLong("max-versions")) var maxVersions: Int?
    @Option(name: .customLong("cas-required")) var casRequired: Bool?
    @Option(name: .customLong("delete-version-after")) var deleteVersionAfter: String?
    @Option(name: .customLong("custom-metadata")) var customMetadata: [String] = []
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        let path = try await KVTarget.metadataPath(arguments, mountFlag: mount, ctx: ctx)
        var body: [String: JSONValue] = [:]
        if let maxVersions { body["max_versions"] = .int(Int64(maxVersions)) }
        if let casRequired { body["cas_required"] = .bool(casRequired) }
        if let deleteVersionAfter { body["delete_version_after"] = .string(deleteVersionAfter) }
        if !customMetadata.isEmpty {
            var map: [String: JSONValue] = [:]
            for pair in customMetadata {
                guard let eq = pair.firstIndex(of: "=") else { throw CLIFailure.usage("invalid custom metadata \"\(pair)\": format must be key=value") }
                map[String(pair[..<eq])] = .string(String(pair[pair.index(after: eq)...]))
            }
            body["custom_metadata"] = .object(map)
        }
        _ = try await ctx.call("PUT", path, body: .object(body), prefix: "Error writing data to \(path): ")
        if ctx.format == "table" { UI.output("Success! Data written to: \(path)") }
    }
}

struct KVMetadataDelete: APICommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a secret with all its versions and metadata.",
        discussion: "Example:\n  tresor kv metadata delete secret/creds")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("mount")) var mount: String?
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        let path = try await KVTarget.metadataPath(arguments, mountFlag: mount, ctx: ctx)
        _ = try await ctx.call("DELETE", path, prefix: "Error deleting \(path): ")
        UI.output("Success! Data deleted (if it existed) at: \(path)")
    }
}

extension KVTarget {
    /// The metadata path of the one secret named in `arguments`; metadata exists on v2 only.
    static func metadataPath(_ arguments: [String], mountFlag: String?, ctx: CLIContext) async throws -> String {
        try expectArguments(arguments, 1)
        let target = try await resolve(arguments[0], mountFlag: mountFlag, ctx: ctx)
        guard target.version == 2 else { throw CLIFailure.local("Metadata not supported on KV Version 1") }
        return target.api("metadata")
    }
}

import ArgumentParser
import TresorAPI
import Foundation
import TresorJSON

struct KVCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv", abstract: "Interact with the key/value secrets engine (versions 1 and 2).",
        subcommands: [KVPut.self, KVGet.self, KVList.self, KVDelete.self, KVUndelete.self, KVDestroy.self, KVPatch.self,
                      KVRollback.self, KVMetadata.self, KVEnableVersioning.self])
}

/// Where a kv path lives: its mount (found through sys/internal/ui/mounts) and its KV version.
struct KVTarget {
    let mount: String
    let relative: String
    let version: Int

    static func resolve(_ raw: String, mountFlag: String?, ctx: CLIContext) async throws -> KVTarget {
        let path = sanitizePath(raw)
        let lookup = mountFlag.map { sanitizePath($0) } ?? path
        let response = try await ctx.call("GET", "sys/internal/ui/mounts/" + lookup)
        if response.status == 404 {
            // An old server without the preflight endpoint: treat the path as KV v1.
            return KVTarget(mount: "", relative: path, version: 1)
        }
        let data = VaultJSON(response.json).data
        var mount = data["path"]?.stringValue ?? ""
        if !mount.hasSuffix("/") && !mount.isEmpty { mount += "/" }
        let version = data["options"]?.objectValue?["version"]?.stringValue == "2" ? 2 : 1
        // With -mount the argument is already relative to the mount.
        var relative = mountFlag != nil || !path.hasPrefix(mount) ? path : String(path.dropFirst(mount.count))
        if relative.hasPrefix("/") { relative.removeFirst() }
        return KVTarget(mount: mount, relative: relative, version: version)
    }

    /// The API path: mount + "data/" + path on v2, mount + path on v1.
    func api(_ segment: String) -> String {
        version == 2 ? mount + segment + "/" + relative : mount + relative
    }
}

struct KVPut: APICommand {
    static let configuration = CommandConfiguration(commandName: "put", abstract: "Set or update data in the KV store.",
        discussion: "Example:\n  tresor kv put secret/creds passcode=my-long-passcode\n  tresor kv put -mount=secret creds @data.json")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("mount")) var mount: String?
    @Option(name: .customLong("cas")) var cas: Int = -1
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        guard arguments.count >= 1 else { throw CLIFailure.usage("Not enough arguments (expected >1, got 0)") }
        guard arguments.count >= 2 else { throw CLIFailure.usage("Must supply data") }
        let data = try KeyValueArguments.parse(Array(arguments.dropFirst()))
        let target = try await KVTarget.resolve(arguments[0], mountFlag: mount, ctx: ctx)
        let path = target.api("data")
        var body: JSONValue = .object(data)
        if target.version == 2 {
            body = ["data": .object(data), "options": cas >= 0 ? ["cas": .int(Int64(cas))] : [:]]
        }
        let response = try await ctx.call("PUT", path, body: body, prefix: "Error writing data to \(path): ")
        guard let json = response.json else {
            if ctx.format == "table" { UI.output("Success! Data written to: \(path)") }
            return
        }
        try KVOutput.written(json, path: path, target: target, ctx: ctx)
    }
}

enum KVOutput {
    /// kv put / patch on v2: the path, then the new version's metadata.
    static func written(_ json: JSONValue, path: String, target: KVTarget, ctx: CLIContext) throws {
        let printer = Printer(format: ctx.format, field: ctx.field)
        guard ctx.format == "table", ctx.field == nil, target.version == 2 else { return try printer.secret(json) }
        UI.warnings(json, format: ctx.format)
        let metadata = VaultJSON(json).data
        UI.output(UI.header("Secret Path", total: path.utf8.count))
        UI.output(path)
        UI.output("")
        UI.output(UI.mapHeader("Metadata", metadata))
        UI.output(Columns.keyValue(SecretTable.dataRows(metadata)))
    }
}

struct KVGet: APICommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Retrieve data from the KV store.",
        discussion: "Example:\n  tresor kv get secret/creds\n  tresor kv get -version=1 -field=passcode secret/creds")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("mount")) var mount: String?
    @Option(name: .customLong("version")) var version: Int = 0
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        try expectArguments(arguments, 1)
        let target = try await KVTarget.resolve(arguments[0], mountFlag: mount, ctx: ctx)
        let path = target.api("data")
        let response = try await ctx.call("GET", path, query: version > 0 && target.version == 2 ? "version=\(version)" : nil,
                                          prefix: "Error reading \(path): ")
        guard let json = response.json, json.objectValue?["errors"] == nil,
              response.status != 404 || VaultJSON(json).data["metadata"] != nil else {
            throw CLIFailure.server("No value found at \(path)")
        }
        let printer = Printer(format: ctx.format, field: ctx.field)
        if target.version == 1 {
            if ctx.format != "table" || ctx.field != nil { return try printer.secret(json) }
            let data = VaultJSON(json).data
            UI.output(UI.mapHeader("Data", data))
            UI.output(Columns.keyValue(SecretTable.dataRows(data)))
            return
        }
        let outer = VaultJSON(json).data
        if let field = ctx.field {
            let inner: JSONValue = ["data": outer["data"] ?? .null]
            return try printer.printField(field, in: field == "data" ? ["data": ["data": outer["data"] ?? .null]] : ["data": inner.objectValue?["data"] ?? .null])
        }
        guard ctx.format == "table" else { return try printer.secret(json) }
        UI.warnings(json, format: ctx.format)
        UI.output(UI.header("Secret Path", total: path.utf8.count))
        UI.output(path)
        UI.output("")
        if let metadata = outer["metadata"]?.objectValue {
            UI.output(UI.mapHeader("Metadata", metadata))
            UI.output(Columns.keyValue(SecretTable.dataRows(metadata)))
        }
        if let data = outer["data"]?.objectValue {
            UI.output("")
            UI.output(UI.mapHeader("Data", data))
            UI.output(Columns.keyValue(SecretTable.dataRows(data)))
        } else {
            UI.output("")
        }
    }
}

struct KVList: APICommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List data or secrets.",
        discussion: "Example:\n  tresor kv list secret/")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("mount")) var mount: String?
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        try expectArguments(arguments, 1)
        let target = try await KVTarget.resolve(arguments[0], mountFlag: mount, ctx: ctx)
        var path = target.api("metadata")
        if path.hasSuffix("/") { path.removeLast() }
        let response = try await ctx.call("GET", path, query: "list=true", prefix: "Error listing \(path): ")
        try ListOutput.print(response.json, status: response.status, path: path, ctx: ctx)
    }
}

struct KVDelete: APICommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete versions of a secret.",
        discussion: "Example:\n  tresor kv delete secret/creds\n  tresor kv delete -versions=2 secret/creds")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("mount")) var mount: String?
    @Option(name: .customLong("versions")) var versions: [String] = []
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        try expectArguments(arguments, 1)
        let target = try await KVTarget.resolve(arguments[0], mountFlag: mount, ctx: ctx)
        let list = versions.flatMap { $0.split(separator: ",").map(String.init) }
        if target.version == 2 && !list.isEmpty {
            let path = target.api("delete")
            _ = try await ctx.call("PUT", path, body: ["versions": JSONValue(list)], prefix: "Error deleting \(path): ")
            // Vault names the data path here, not the delete endpoint it called.
            if ctx.format == "table" { UI.output("Success! Data deleted (if it existed) at: \(target.api("data"))") }
            return
        }
        let path = target.api("data")
        _ = try await ctx.call("DELETE", path, prefix: "Error deleting \(path): ")
        if ctx.format == "table" { UI.output("Success! Data deleted (if it existed) at: \(path)") }
    }
}

/// undelete and destroy: a version list to a v2 endpoint.
struct KVVersionAction {
    static func run(_ action: String, _ arguments: [String], versions: [String], mount: String?, ctx: CLIContext) async throws {
        try expectArguments(arguments, 1)
        let list = versions.flatMap { $0.split(separator: ",").map(String.init) }
        guard !list.isEmpty else {
            throw CLIFailure.usage("No versions provided, use the \"-versions\" flag to specify the version to \(action).")
        }
        let target = try await KVTarget.resolve(arguments[0], mountFlag: mount, ctx: ctx)
        guard target.version == 2 else { throw CLIFailure.server("\(action.capitalized) not supported on KV Version 1") }
        let path = target.api(action)
        _ = try await ctx.call("PUT", path, body: ["versions": JSONValue(list)], prefix: "Error writing data to \(path): ")
        if ctx.format == "table" { UI.output("Success! Data written to: \(path)") }
    }
}

struct KVUndelete: APICommand {
    static let configuration = CommandConfiguration(commandName: "undelete", abstract: "Undelete versions of a secret.",
        discussion: "Example:\n  tresor kv undelete -versions=2 secret/creds")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("mount")) var mount: String?
    @Option(name: .customLong("versions")) var versions: [String] = []
    @Argument var arguments: [String] = []
    func execute(_ ctx: CLIContext) async throws {
        try await KVVersionAction.run("undelete", arguments, versions: versions, mount: mount, ctx: ctx)
    }
}

struct KVDestroy: APICommand {
    static let configuration = CommandConfiguration(commandName: "destroy", abstract: "Permanently remove versions of a secret.",
        discussion: "Example:\n  tresor kv destroy -versions=2 secret/creds")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("mount")) var mount: String?
    @Option(name: .customLong("versions")) var versions: [String] = []
    @Argument var arguments: [String] = []
    func execute(_ ctx: CLIContext) async throws {
        try await KVVersionAction.run("destroy", arguments, versions: versions, mount: mount, ctx: ctx)
    }
}

struct KVPatch: APICommand {
    static let configuration = CommandConfiguration(commandName: "patch", abstract: "Set or update keys of the latest version.",
        discussion: "Example:\n  tresor kv patch secret/creds ttl=48h")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("mount")) var mount: String?
    @Option(name: .customLong("cas")) var cas: Int = -1
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        guard arguments.count >= 2 else { throw CLIFailure.usage("Must supply data") }
        let data = try KeyValueArguments.parse(Array(arguments.dropFirst()))
        let target = try await KVTarget.resolve(arguments[0], mountFlag: mount, ctx: ctx)
        guard target.version == 2 else { throw CLIFailure.server("K/V engine mount must be version 2 for patch support") }
        let path = target.api("data")
        let body: JSONValue = ["data": .object(data), "options": cas >= 0 ? ["cas": .int(Int64(cas))] : [:]]
        let response = try await ctx.call("PATCH", path, body: body, prefix: "Error writing data to \(path): ",
                                          headers: ["Content-Type": "application/merge-patch+json"])
        guard response.status != 404, let json = response.json else {
            throw CLIFailure.server("No value found at \(path)")
        }
        try KVOutput.written(json, path: path, target: target, ctx: ctx)
    }
}

struct KVRollback: APICommand {
    static let configuration = CommandConfiguration(commandName: "rollback", abstract: "Write an old version's data as the newest version.",
        discussion: "Example:\n  tresor kv rollback -version=2 secret/creds")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("mount")) var mount: String?
    @Option(name: .customLong("version")) var version: Int = 0
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        try expectArguments(arguments, 1)
        guard version > 0 else { throw CLIFailure.usage("Version flag must be specified") }
        let target = try await KVTarget.resolve(arguments[0], mountFlag: mount, ctx: ctx)
        guard target.version == 2 else { throw CLIFailure.server("Rollback not supported on KV Version 1") }
        let path = target.api("data")
        let current = VaultJSON(try await ctx.call("GET", path, prefix: "Error reading \(path): ").json).data
        let currentVersion = current["metadata"]?.objectValue?["version"] ?? 0
        let old = VaultJSON(try await ctx.call("GET", path, query: "version=\(version)", prefix: "Error reading \(path): ").json).data
        guard let oldMeta = old["metadata"]?.objectValue else { throw CLIFailure.server("No value found at \(path)") }
        if oldMeta["destroyed"]?.boolValue == true { throw CLIFailure.server("Cannot roll back to a version that has been destroyed") }
        if let deletion = oldMeta["deletion_time"]?.stringValue, !deletion.isEmpty {
            throw CLIFailure.server("Cannot roll back to a version that has been deleted")
        }
        let body: JSONValue = ["data": old["data"] ?? [:], "options": ["cas": currentVersion]]
        let response = try await ctx.call("PUT", path, body: body, prefix: "Error writing data to \(path): ")
        if let json = response.json { try Printer(format: ctx.format, field: ctx.field).secret(json) }
    }
}

struct KVEnableVersioning: APICommand {
    static let configuration = CommandConfiguration(commandName: "enable-versioning", abstract: "Turn on versioning for a KV v1 mount.",
        discussion: "Example:\n  tresor kv enable-versioning secret/")
    @OptionGroup var global: GlobalOptions
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        try expectArguments(arguments, 1)
        var mount = sanitizePath(arguments[0])
        if mount.hasSuffix("/") { mount.removeLast() }
        _ = try await ctx.call("POST", "sys/mounts/\(mount)/tune", body: ["options": ["version": "2"]], prefix: "Error tuning secrets engine \(mount): ")
        UI.output("Success! Tuned the secrets engine at: \(mount)/")
    }
}

import ArgumentParser
import Foundation
import TresorJSON

struct SecretsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "secrets", abstract: "Enable, disable, tune and list secrets engines.",
        subcommands: [SecretsEnable.self, SecretsDisable.self, SecretsList.self, SecretsTune.self, SecretsMove.self])
}

struct AuthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "auth", abstract: "Enable, disable, tune and list auth methods.",
        subcommands: [AuthEnable.self, AuthDisable.self, AuthList.self, AuthTune.self])
}

/// Shared by `secrets enable` and `auth enable`.
struct MountOptions: ParsableArguments {
    @Option(name: .customLong("path")) var path: String?
    @Option(name: .customLong("description")) var description: String = ""
    @Option(name: .customLong("default-lease-ttl")) var defaultLeaseTTL: String = ""
    @Option(name: .customLong("max-lease-ttl")) var maxLeaseTTL: String = ""
    @Option(name: .customLong("options")) var options: [String] = []
    @Option(name: .customLong("version")) var version: Int = 0
    @Flag(name: .customLong("local")) var local = false

    func body(type: String) throws -> JSONValue {
        var config: [String: JSONValue] = [:]
        if !defaultLeaseTTL.isEmpty { config["default_lease_ttl"] = .string(defaultLeaseTTL) }
        if !maxLeaseTTL.isEmpty { config["max_lease_ttl"] = .string(maxLeaseTTL) }
        var opts: [String: JSONValue] = [:]
        for pair in options {
            guard let eq = pair.firstIndex(of: "=") else { throw CLIFailure.usage("invalid option \"\(pair)\": format must be key=value") }
            opts[String(pair[..<eq])] = .string(String(pair[pair.index(after: eq)...]))
        }
        if version > 0 { opts["version"] = .string(String(version)) }
        return ["type": .string(type), "description": .string(description), "config": .object(config),
                "options": .object(opts), "local": .bool(local)]
    }
}

/// What `secrets` and `auth` share: the API paths differ, the steps do not.
enum MountActions {
    static func enable(_ arguments: [String], mount: MountOptions, api: String, prefix: (String) -> String,
                       success: (String, String) -> String, ctx: CLIContext) async throws {
        try expectArguments(arguments, 1)
        let type = arguments[0]
        var path = sanitizePath(mount.path ?? type)
        if path.hasSuffix("/") { path.removeLast() }
        _ = try await ctx.call("POST", api + path, body: try mount.body(type: type), prefix: prefix(type))
        UI.output(success(type, path))
    }

    static func disable(_ arguments: [String], api: String, prefix: (String) -> String, success: (String) -> String, ctx: CLIContext) async throws {
        try expectArguments(arguments, 1)
        var path = sanitizePath(arguments[0])
        if path.hasSuffix("/") { path.removeLast() }
        _ = try await ctx.call("DELETE", api + path, prefix: prefix(path))
        UI.output(success(path))
    }
}

struct SecretsEnable: APICommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Enable a secrets engine.",
        discussion: "Example:\n  tresor secrets enable -path=kv kv-v2\n  tresor secrets enable database")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var mount: MountOptions
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        try await MountActions.enable(arguments, mount: mount, api: "sys/mounts/", prefix: { _ in "Error enabling: " },
                                      success: { "Success! Enabled the \($0) secrets engine at: \($1)/" }, ctx: ctx)
    }
}

struct SecretsDisable: APICommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Disable a secrets engine; its data and leases go with it.",
        discussion: "Example:\n  tresor secrets disable kv/")
    @OptionGroup var global: GlobalOptions
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        try await MountActions.disable(arguments, api: "sys/mounts/", prefix: { "Error disabling secrets engine at \($0)/: " },
                                       success: { "Success! Disabled the secrets engine (if it existed) at: \($0)/" }, ctx: ctx)
    }
}

struct SecretsTune: APICommand {
    static let configuration = CommandConfiguration(commandName: "tune", abstract: "Tune a secrets engine.",
        discussion: "Example:\n  tresor secrets tune -max-lease-ttl=24h database/")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var mount: MountOptions
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        try await MountTune.run(kind: "mounts", what: "secrets engine", arguments: arguments, mount: mount, ctx: ctx)
    }
}

struct SecretsMove: APICommand {
    static let configuration = CommandConfiguration(commandName: "move", abstract: "Move a secrets engine to a new path.",
        discussion: "Example:\n  tresor secrets move secret/ generic/")
    @OptionGroup var global: GlobalOptions
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        try expectArguments(arguments, 2)
        let response = try await ctx.call("POST", "sys/remount", body: ["from": .string(sanitizePath(arguments[0])), "to": .string(sanitizePath(arguments[1]))],
                                          prefix: "Error moving secrets engine \(arguments[0]) to \(arguments[1]): ")
        let id = VaultJSON(response.json).data["migration_id"]?.stringValue ?? ""
        UI.output("Started moving secrets engine \(arguments[0]) to \(arguments[1]), with migration ID \(id)")
        let status = try await ctx.call("GET", "sys/remount/status/" + id, prefix: "Error checking migration status: ")
        let info = VaultJSON(status.json).data["migration_info"]?.objectValue ?? [:]
        guard info["status"]?.stringValue == "success" else {
            throw CLIFailure.server("Error moving secrets engine: migration \(id) \(info["status"]?.stringValue ?? "did not finish")")
        }
        UI.output("Success! Finished moving secrets engine \(arguments[0]) to \(arguments[1]), with migration ID \(id)")
    }
}

enum MountTune {
    static func run(kind: String, what: String, arguments: [String], mount: MountOptions, ctx: CLIContext) async throws {
        try expectArguments(arguments, 1)
        var path = sanitizePath(arguments[0])
        if path.hasSuffix("/") { path.removeLast() }
        var body: [String: JSONValue] = [:]
        if !mount.defaultLeaseTTL.isEmpty { body["default_lease_ttl"] = .string(mount.defaultLeaseTTL) }
        if !mount.maxLeaseTTL.isEmpty { body["max_lease_ttl"] = .string(mount.maxLeaseTTL) }
        if !mount.description.isEmpty { body["description"] = .string(mount.description) }
        if let options = try mount.body(type: "").objectValue?["options"], options.objectValue?.isEmpty == false { body["options"] = options }
        let apiPath = kind == "auth" ? "sys/auth/\(path)/tune" : "sys/mounts/\(path)/tune"
        _ = try await ctx.call("POST", apiPath, body: .object(body), prefix: "Error tuning \(what) \(path): ")
        UI.output("Success! Tuned the \(what) at: \(path)/")
    }
}

struct SecretsList: APICommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List enabled secrets engines.",
        discussion: "Example:\n  tresor secrets list")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("detailed")) var detailed = false

    func execute(_ ctx: CLIContext) async throws {
        let response = try await ctx.call("GET", "sys/mounts", prefix: "Error listing secrets engines: ")
        try MountList.print(VaultJSON(response.json).data, auth: false, ctx: ctx)
    }
}

enum MountList {
    static func print(_ mounts: [String: JSONValue], auth: Bool, ctx: CLIContext) throws {
        if ctx.format == "json" { return UI.output(PrettyJSON.render(.object(mounts))) }
        let rows = mounts.keys.sorted().map { path -> [String] in
            let mount = mounts[path]?.objectValue ?? [:]
            var row = [path, mount["type"]?.stringValue ?? "", mount["accessor"]?.stringValue ?? "", mount["description"]?.stringValue ?? ""]
            if auth { row.append(mount["plugin_version"]?.stringValue ?? "") }
            return row
        }
        UI.output(Columns.format(rows, header: auth ? ["Path", "Type", "Accessor", "Description", "Version"] : ["Path", "Type", "Accessor", "Description"]))
    }
}

struct AuthEnable: APICommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Enable an auth method.",
        discussion: "Example:\n  tresor auth enable userpass\n  tresor auth enable -path=k8s kubernetes")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var mount: MountOptions
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        try await MountActions.enable(arguments, mount: mount, api: "sys/auth/", prefix: { "Error enabling \($0) auth: " },
                                      success: { "Success! Enabled \($0) auth method at: \($1)/" }, ctx: ctx)
    }
}

struct AuthDisable: APICommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Disable an auth method; its tokens are revoked.",
        discussion: "Example:\n  tresor auth disable userpass/")
    @OptionGroup var global: GlobalOptions
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        try await MountActions.disable(arguments, api: "sys/auth/", prefix: { "Error disabling auth method at \($0): " },
                                       success: { "Success! Disabled the auth method (if it existed) at: \($0)/" }, ctx: ctx)
    }
}

struct AuthTune: APICommand {
    static let configuration = CommandConfiguration(commandName: "tune", abstract: "Tune an auth method.",
        discussion: "Example:\n  tresor auth tune -default-lease-ttl=30m userpass/")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var mount: MountOptions
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        try await MountTune.run(kind: "auth", what: "auth method", arguments: arguments, mount: mount, ctx: ctx)
    }
}

struct AuthList: APICommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List enabled auth methods.",
        discussion: "Example:\n  tresor auth list")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("detailed")) var detailed = false

    func execute(_ ctx: CLIContext) async throws {
        let response = try await ctx.call("GET", "sys/auth", prefix: "Error listing enabled authentications: ")
        try MountList.print(VaultJSON(response.json).data, auth: true, ctx: ctx)
    }
}

import ArgumentParser
import TresorAPI
import Foundation
import TresorJSON

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Create, look up, renew and revoke tokens.",
        subcommands: [TokenCreate.self, TokenLookup.self, TokenRenew.self, TokenRevoke.self, TokenCapabilities.self])
}

struct TokenCreate: APICommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a token.",
        discussion: "Example:\n  tresor token create -policy=my-policy -ttl=1h")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("policy")) var policies: [String] = []
    @Option(name: .customLong("ttl")) var ttl: String = "0s"
    @Option(name: .customLong("explicit-max-ttl")) var explicitMaxTTL: String = "0s"
    @Option(name: .customLong("period")) var period: String = "0s"
    @Option(name: .customLong("display-name")) var displayName: String = ""
    @Option(name: .customLong("use-limit")) var useLimit: Int = 0
    @Option(name: .customLong("metadata")) var metadata: [String] = []
    @Option(name: .customLong("id")) var id: String?
    @Flag(name: .customLong("orphan")) var orphan = false
    @Flag(name: .customLong("no-default-policy")) var noDefaultPolicy = false
    @Option(name: .customLong("renewable")) var renewable: Bool = true

    func execute(_ ctx: CLIContext) async throws {
        var body: [String: JSONValue] = [
            "ttl": .string(ttl), "explicit_max_ttl": .string(explicitMaxTTL), "period": .string(period),
            "display_name": .string(displayName), "num_uses": .int(Int64(useLimit)), "renewable": .bool(renewable),
            "no_default_policy": .bool(noDefaultPolicy), "type": "service",
        ]
        if !policies.isEmpty { body["policies"] = JSONValue(policies.flatMap { $0.split(separator: ",").map(String.init) }) }
        if orphan { body["no_parent"] = true }
        if let id { body["id"] = .string(id) }
        if !metadata.isEmpty {
            var map: [String: JSONValue] = [:]
            for pair in metadata {
                guard let eq = pair.firstIndex(of: "=") else { throw CLIFailure.usage("invalid metadata \"\(pair)\": format must be key=value") }
                map[String(pair[..<eq])] = .string(String(pair[pair.index(after: eq)...]))
            }
            body["meta"] = .object(map)
        }
        let response = try await ctx.call("POST", "auth/token/create", body: .object(body), prefix: "Error creating token: ")
        try Printer(format: ctx.format, field: ctx.field).secret(response.json ?? [:])
    }
}

struct TokenLookup: APICommand {
    static let configuration = CommandConfiguration(commandName: "lookup", abstract: "Show a token's properties (your own without an argument).",
        discussion: "Example:\n  tresor token lookup\n  tresor token lookup -accessor 8609694a-cdbc-db9b-d345-e782dbb562ed")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("accessor")) var accessor = false
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        let response: VaultClient.Response
        if arguments.isEmpty {
            response = try await ctx.call("GET", "auth/token/lookup-self", prefix: "Error looking up token: ")
        } else if accessor {
            response = try await ctx.call("POST", "auth/token/lookup-accessor", body: ["accessor": .string(arguments[0])], prefix: "Error looking up token: ")
        } else {
            response = try await ctx.call("POST", "auth/token/lookup", body: ["token": .string(arguments[0])], prefix: "Error looking up token: ")
        }
        try Printer(format: ctx.format, field: ctx.field).secret(response.json ?? [:])
    }
}

struct TokenRenew: APICommand {
    static let configuration = CommandConfiguration(commandName: "renew", abstract: "Renew a token (your own without an argument).",
        discussion: "Example:\n  tresor token renew -increment=30m")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("i"), .customLong("increment")]) var increment: String?
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        var body: [String: JSONValue] = [:]
        if let increment { body["increment"] = .string(increment) }
        let response: VaultClient.Response
        if let token = arguments.first {
            body["token"] = .string(token)
            response = try await ctx.call("PUT", "auth/token/renew", body: .object(body), prefix: "Error renewing token: ")
        } else {
            response = try await ctx.call("PUT", "auth/token/renew-self", body: .object(body), prefix: "Error renewing token: ")
        }
        try Printer(format: ctx.format, field: ctx.field).secret(response.json ?? [:])
    }
}

struct TokenRevoke: APICommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token and its children.",
        discussion: "Example:\n  tresor token revoke 96ddf4bc-d217-f3ba-f9bd-017055595017\n  tresor token revoke -self")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("self")) var revokeSelf = false
    @Flag(name: .customLong("accessor")) var accessor = false
    @Option(name: .customLong("mode")) var mode: String = ""
    @Option(name: .customLong("wait"), help: "Seconds to wait before revoking (Tresor's own: the injector's preStop hook gives the application this grace).")
    var wait: UInt = 0
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        if wait > 0 { try await Task.sleep(for: .seconds(Int(min(wait, 86_400)))) }
        if revokeSelf {
            _ = try await ctx.call("PUT", "auth/token/revoke-self", prefix: "Error revoking token: ")
        } else {
            try expectArguments(arguments, 1)
            if accessor {
                _ = try await ctx.call("POST", "auth/token/revoke-accessor", body: ["accessor": .string(arguments[0])], prefix: "Error revoking token: ")
            } else {
                let path = mode == "orphan" ? "auth/token/revoke-orphan" : "auth/token/revoke"
                _ = try await ctx.call("PUT", path, body: ["token": .string(arguments[0])], prefix: "Error revoking token: ")
            }
        }
        UI.output("Success! Revoked token (if it existed)")
    }
}

struct TokenCapabilities: APICommand {
    static let configuration = CommandConfiguration(commandName: "capabilities", abstract: "Show what a token may do on a path.",
        discussion: "Example:\n  tresor token capabilities secret/data/foo\n  tresor token capabilities <token> secret/data/foo")
    @OptionGroup var global: GlobalOptions
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        let response: VaultClient.Response
        switch arguments.count {
        case 1:
            response = try await ctx.call("POST", "sys/capabilities-self", body: ["path": .string(arguments[0])], prefix: "Error listing capabilities: ")
        case 2:
            response = try await ctx.call("POST", "sys/capabilities", body: ["token": .string(arguments[0]), "path": .string(arguments[1])],
                                          prefix: "Error listing capabilities: ")
        default:
            throw CLIFailure.usage(arguments.isEmpty ? "Not enough arguments (expected 1-2, got 0)" : "Too many arguments (expected 1-2, got \(arguments.count))")
        }
        let path = arguments.last!
        let caps = (VaultJSON(response.json).data[path] ?? VaultJSON(response.json).data["capabilities"])?.arrayValue?.compactMap(\.stringValue) ?? []
        if ctx.format == "json" {
            UI.output(PrettyJSON.render(JSONValue(caps.sorted())))
        } else {
            UI.output(caps.sorted().joined(separator: ", "))
        }
    }
}

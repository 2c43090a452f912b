import ArgumentParser
import Foundation
import TresorJSON

struct OperatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "operator", abstract: "Initialise, unseal, seal and rotate.",
        subcommands: [OperatorInit.self, OperatorUnseal.self, OperatorSeal.self, OperatorStepDown.self, OperatorMembers.self, OperatorKeyStatus.self, OperatorRotate.self, OperatorGenerateRoot.self, OperatorRekey.self])
}

struct OperatorInit: APICommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Initialise a new server.",
        discussion: "Example:\n  tresor operator init -key-shares=5 -key-threshold=3")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("key-shares")) var shares: Int = 5
    @Option(name: .customLong("key-threshold")) var threshold: Int = 3
    @Option(name: .customLong("recovery-shares")) var recoveryShares: Int = 5
    @Option(name: .customLong("recovery-threshold")) var recoveryThreshold: Int = 3

    func execute(_ ctx: CLIContext) async throws {
        let response = try await ctx.call("PUT", "sys/init", body: [
            "secret_shares": .int(Int64(shares)), "secret_threshold": .int(Int64(threshold)),
            "recovery_shares": .int(Int64(recoveryShares)), "recovery_threshold": .int(Int64(recoveryThreshold)),
        ], prefix: "Error initializing: ")
        let body = VaultJSON(response.json)
        if ctx.format == "json" {
            return UI.output(PrettyJSON.render([
                "unseal_keys_b64": body.object["keys_base64"] ?? [], "unseal_keys_hex": body.object["keys"] ?? [],
                "unseal_shares": .int(Int64(shares)), "unseal_threshold": .int(Int64(threshold)),
                "recovery_keys_b64": body.object["recovery_keys_base64"] ?? [], "recovery_keys_hex": body.object["recovery_keys"] ?? [],
                "recovery_keys_shares": .int(Int64(recoveryShares)), "recovery_keys_threshold": .int(Int64(recoveryThreshold)),
                "root_token": body.object["root_token"] ?? "",
            ]))
        }
        var lines: [String] = []
        for (i, key) in (body.object["keys_base64"]?.arrayValue ?? []).enumerated() { lines.append("Unseal Key \(i + 1): \(ValueText.text(key))") }
        for (i, key) in (body.object["recovery_keys_base64"]?.arrayValue ?? []).enumerated() { lines.append("Recovery Key \(i + 1): \(ValueText.text(key))") }
        lines.append("")
        lines.append("Initial Root Token: \(body.string("root_token"))")
        UI.output(lines.joined(separator: "\n"))
    }
}

struct OperatorUnseal: APICommand {
    static let configuration = CommandConfiguration(commandName: "unseal", abstract: "Submit one unseal key share.",
        discussion: "Without a key, asks for it at the terminal without echo; \"-\" reads it from standard input.\n\nExample:\n  tresor operator unseal <key>\n  tresor operator unseal -reset")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("reset")) var reset = false
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        var key = arguments.first ?? ""
        if !reset && arguments.isEmpty && isatty(STDIN_FILENO) != 1 {
            // As bao: a key is typed at a terminal, or given as an argument ("-" for stdin).
            throw CLIFailure.usage("An error occurred attempting to ask for an unseal key: standard input is not a terminal. "
                + "Give the key as the first argument, or \"-\" to read it from standard input.")
        }
        if !reset && (arguments.isEmpty || key == "-") {
            key = try HiddenInput.read(prompt: arguments.isEmpty ? "Unseal Key (will be hidden): " : nil)
            if key.isEmpty { throw CLIFailure.usage("Not enough arguments (expected 1, got 0)") }
        }
        let body: JSONValue = reset ? ["reset": true] : ["key": .string(key)]
        _ = try await ctx.call("PUT", "sys/unseal", body: body, prefix: "Error unsealing: ")
        try await StatusCommand().executeIgnoringSealed(ctx)
    }
}

extension StatusCommand {
    /// `operator unseal` prints the status table and succeeds even while still sealed.
    func executeIgnoringSealed(_ ctx: CLIContext) async throws {
        do {
            try await execute(ctx)
        } catch CLIFailure.silent(2) {
            return
        }
    }
}

struct OperatorSeal: APICommand {
    static let configuration = CommandConfiguration(commandName: "seal", abstract: "Seal the server.", discussion: "Example:\n  tresor operator seal")
    @OptionGroup var global: GlobalOptions
    func execute(_ ctx: CLIContext) async throws {
        _ = try await ctx.call("PUT", "sys/seal", prefix: "Error sealing: ")
        UI.output("Success! Vault is sealed.")
    }
}

struct OperatorStepDown: APICommand {
    static let configuration = CommandConfiguration(commandName: "step-down", abstract: "Give up being the active node.", discussion: "Example:\n  tresor operator step-down")
    @OptionGroup var global: GlobalOptions
    func execute(_ ctx: CLIContext) async throws {
        _ = try await ctx.call("PUT", "sys/step-down", prefix: "Error stepping down: ")
        UI.output("Success! Stepped down: \(ctx.address)")
    }
}

struct OperatorMembers: APICommand {
    static let configuration = CommandConfiguration(commandName: "members", abstract: "List the nodes of an HA cluster.",
        discussion: "Example:\n  tresor operator members")
    @OptionGroup var global: GlobalOptions
    func execute(_ ctx: CLIContext) async throws {
        let response = try await ctx.call("GET", "sys/ha-status", prefix: "Error retrieving HA status: ")
        let data = VaultJSON(response.json).data
        if ctx.format == "json" { return UI.output(PrettyJSON.render(.object(data))) }
        let nodes = data["nodes"]?.arrayValue ?? []
        let rows = nodes.map { node -> [String] in
            let n = VaultJSON(node)
            return [n.string("hostname"), n.string("api_address"), n.string("cluster_address"), String(n.bool("active_node")),
                    n.string("version"), n.string("upgrade_version"), "n/a", n.string("last_echo")]
        }
        UI.output(Columns.format(rows, header: ["Host Name", "API Address", "Cluster Address", "Active Node", "Version", "Upgrade Version",
                                                "Redundancy Zone", "Last Echo"]))
    }
}

struct OperatorKeyStatus: APICommand {
    static let configuration = CommandConfiguration(commandName: "key-status", abstract: "Show the keyring's active term.", discussion: "Example:\n  tresor operator key-status")
    @OptionGroup var global: GlobalOptions
    func execute(_ ctx: CLIContext) async throws {
        let response = try await ctx.call("GET", "sys/key-status", prefix: "Error reading key status: ")
        let data = VaultJSON(response.json).data
        if ctx.format == "json" { return UI.output(PrettyJSON.render(.object(data))) }
        UI.output(Columns.format([["Key Term", ValueText.text(data["term"] ?? 0)], ["Install Time", ValueText.text(data["install_time"] ?? "")],
                                  ["Encryption Count", ValueText.text(data["encryptions"] ?? 0)]]))
    }
}

struct OperatorRotate: APICommand {
    static let configuration = CommandConfiguration(commandName: "rotate", abstract: "Add a new encryption key term.", discussion: "Example:\n  tresor operator rotate")
    @OptionGroup var global: GlobalOptions
    func execute(_ ctx: CLIContext) async throws {
        _ = try await ctx.call("PUT", "sys/rotate/keyring", prefix: "Error rotating key: ")
        let data = VaultJSON(try await ctx.call("GET", "sys/key-status", prefix: "Error reading key status: ").json).data
        UI.output("Success! Rotated key\n\nKey Term        \(ValueText.text(data["term"] ?? 0))\nInstall Time    \(ValueText.text(data["install_time"] ?? ""))")
    }
}

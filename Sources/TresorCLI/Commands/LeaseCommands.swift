import ArgumentParser
import Foundation
import TresorJSON

struct LeaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lease", abstract: "Renew, revoke and look up leases.",
        subcommands: [LeaseRenew.self, LeaseRevoke.self, LeaseLookup.self])
}

struct LeaseRenew: APICommand {
    static let configuration = CommandConfiguration(commandName: "renew", abstract: "Renew a lease.",
        discussion: "Example:\n  tresor lease renew -increment=1h database/creds/readonly/2f6a614c...")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("i"), .customLong("increment")]) var increment: String?
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        guard let id = arguments.first else { throw CLIFailure.usage("Missing ID!") }
        var body: [String: JSONValue] = ["lease_id": .string(id)]
        if let increment { body["increment"] = .string(increment) }
        let response = try await ctx.call("PUT", "sys/leases/renew", body: .object(body), prefix: "Error renewing \(id): ")
        try Printer(format: ctx.format, field: ctx.field).secret(response.json ?? [:])
    }
}

struct LeaseRevoke: APICommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a lease, or every lease under a prefix.",
        discussion: "Example:\n  tresor lease revoke database/creds/readonly/2f6a614c...\n  tresor lease revoke -prefix database/creds/readonly")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("prefix")) var prefix = false
    @Flag(name: [.customShort("f"), .customLong("force")]) var force = false
    @Flag(name: .customLong("sync")) var sync = false
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        try expectArguments(arguments, 1)
        let id = sanitizePath(arguments[0])
        if force {
            _ = try await ctx.call("PUT", "sys/leases/revoke-force/" + id, prefix: "Error force revoking leases with prefix \(id): ")
            return UI.output("Success! Force revoked any leases with prefix: \(id)")
        }
        if prefix {
            _ = try await ctx.call("PUT", "sys/leases/revoke-prefix/" + id, prefix: "Error revoking leases with prefix \(id): ")
            return UI.output(sync ? "Success! Revoked any leases with prefix: \(id)" : "All revocation operations queued successfully!")
        }
        _ = try await ctx.call("PUT", "sys/leases/revoke", body: ["lease_id": .string(id)], prefix: "Error revoking lease \(id): ")
        UI.output(sync ? "Success! Revoked lease: \(id)" : "All revocation operations queued successfully!")
    }
}

struct LeaseLookup: APICommand {
    static let configuration = CommandConfiguration(commandName: "lookup", abstract: "Show a lease's properties.",
        discussion: "Example:\n  tresor lease lookup database/creds/readonly/2f6a614c...")
    @OptionGroup var global: GlobalOptions
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        guard let id = arguments.first else { throw CLIFailure.usage("Missing ID!") }
        let response = try await ctx.call("PUT", "sys/leases/lookup", body: ["lease_id": .string(id)], prefix: "error looking up lease id \(id): ")
        try Printer(format: ctx.format, field: ctx.field).secret(response.json ?? [:])
    }
}

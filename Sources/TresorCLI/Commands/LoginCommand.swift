import ArgumentParser
import TresorAPI
import Foundation
import TresorJSON

struct LoginCommand: APICommand {
    static let configuration = CommandConfiguration(commandName: "login", abstract: "Authenticate and store the token for later commands.",
        discussion: """
        Examples:
          tresor login s.3jnbMAKl1i4YS3QoKdbHzGXq
          tresor login -method=userpass username=my-username
          tresor login -method=approle role_id=... secret_id=...
          tresor login -method=kubernetes role=my-role jwt=@/var/run/secrets/kubernetes.io/serviceaccount/token
        """)
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("method")) var method: String = "token"
    @Option(name: .customLong("path")) var mountPath: String?
    @Flag(name: .customLong("no-store")) var noStore = false
    @Flag(name: .customLong("token-only")) var tokenOnly = false
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        var response: JSONValue
        if method == "token" {
            let token = arguments.first.map { $0 == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self).trimmingSpaces() : $0 }
                ?? ctx.token
            let lookup = try await ctx.call("GET", "auth/token/lookup-self", prefix: "Error authenticating: error looking up token: ", token: token)
            let data = VaultJSON(lookup.json).data
            // Present the lookup as a login answer, as Vault's CLI does.
            response = ["request_id": lookup.json?.objectValue?["request_id"] ?? "", "lease_id": "", "lease_duration": 0,
                        "renewable": false, "data": .null, "warnings": .null,
                        "auth": ["client_token": .string(token), "accessor": data["accessor"] ?? "", "policies": data["policies"] ?? [],
                                 "token_policies": data["policies"] ?? [], "metadata": data["meta"] ?? .null,
                                 "lease_duration": data["ttl"] ?? 0, "renewable": data["renewable"] ?? false]]
        } else {
            var fields = try KeyValueArguments.parse(arguments)
            let mount = sanitizePath(mountPath ?? method).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            let path: String
            switch method {
            case "userpass", "ldap":
                guard let username = fields.removeValue(forKey: "username")?.stringValue else {
                    throw CLIFailure.usage("Error authenticating: username must be given as username=NAME")
                }
                path = "auth/\(mount)/login/\(username)"
            case "approle", "kubernetes", "jwt", "cert":
                path = "auth/\(mount)/login"
            default:
                throw CLIFailure.usage("Unknown auth method: \(method). Use \"tresor auth list\" to see the enabled methods.")
            }
            let answer = try await ctx.call("PUT", path, body: .object(fields), prefix: "Error authenticating: ", token: "")
            guard let json = answer.json, json.objectValue?["auth"]?.objectValue != nil else {
                throw CLIFailure.server("Error authenticating: no auth information returned")
            }
            response = json
        }
        let token = response.objectValue?["auth"]?.objectValue?["client_token"]?.stringValue ?? ""
        if tokenOnly {
            UI.raw(token)
            return
        }
        if !noStore { try ctx.storeToken(token) }
        if ctx.format == "table" && ctx.field == nil {
            UI.output("Success! You are now authenticated. The token information displayed below is\nalready stored in the token helper. You do NOT need to run \"tresor login\" again.\nFuture Tresor requests will automatically use this token.\n")
        }
        try Printer(format: ctx.format, field: ctx.field).secret(response)
    }
}

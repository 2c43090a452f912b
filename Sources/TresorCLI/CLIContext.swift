import ArgumentParser
import Foundation
import TresorAPI
import TresorJSON

/// Flags every command takes, as the `vault` CLI spells them (`-address`, `-format`, ...).
public struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("address"), help: "Address of the server (env VAULT_ADDR).")
    var address: String?

    @Option(name: .customLong("format"), help: "Output format: table, json or yaml (env VAULT_FORMAT).")
    var format: String?

    @Option(name: .customLong("field"), help: "Print only this field of the answer, with no trailing newline.")
    var field: String?

    @Flag(name: .customLong("tls-skip-verify"), help: "Do not verify the server's certificate (env VAULT_SKIP_VERIFY).")
    var tlsSkipVerify = false

    @Option(name: .customLong("ca-cert"), help: "PEM file of the CA that signed the server's certificate (env VAULT_CACERT).")
    var caCert: String?

    @Option(name: .customLong("ca-path"), help: "Directory of PEM files of CAs to trust (env VAULT_CAPATH).")
    var caPath: String?

    @Option(name: .customLong("client-cert"), help: "PEM client certificate for listeners that ask for one (env VAULT_CLIENT_CERT).")
    var clientCert: String?

    @Option(name: .customLong("client-key"), help: "PEM private key of -client-cert (env VAULT_CLIENT_KEY).")
    var clientKey: String?

    public init() {}
}

/// Where and how to talk to the server, resolved from flags, then TRESOR_* and VAULT_* variables.
struct CLIContext {
    let address: String
    let format: String
    let field: String?
    let client: VaultClient
    let environment: [String: String]

    static func env(_ environment: [String: String], _ name: String) -> String? {
        if let value = environment["TRESOR_" + name], !value.isEmpty { return value }
        if let value = environment["VAULT_" + name], !value.isEmpty { return value }
        return nil
    }

    init(_ options: GlobalOptions) throws {
        let environment = ProcessInfo.processInfo.environment
        self.environment = environment
        address = options.address ?? Self.env(environment, "ADDR") ?? "https://127.0.0.1:8200"
        let format = (options.format ?? Self.env(environment, "FORMAT") ?? "table").lowercased()
        guard ["table", "json", "yaml", "yml"].contains(format) else {
            throw CLIFailure.usage("Invalid output format: \(format)")
        }
        self.format = format == "yml" ? "yaml" : format
        field = options.field
        let skip = options.tlsSkipVerify || ["1", "true", "t"].contains(Self.env(environment, "SKIP_VERIFY")?.lowercased() ?? "")
        do {
            client = try VaultClient(address: address, caCertFile: options.caCert ?? Self.env(environment, "CACERT"), skipVerify: skip,
                                     caPath: options.caPath ?? Self.env(environment, "CAPATH"),
                                     clientCertFile: options.clientCert ?? Self.env(environment, "CLIENT_CERT"),
                                     clientKeyFile: options.clientKey ?? Self.env(environment, "CLIENT_KEY"),
                                     proxy: ProxyFromEnvironment.proxy(for: address, environment: environment))
        } catch {
            throw CLIFailure.usage("Error setting up the client: \(error)")
        }
    }

    /// VAULT_TOKEN, else the token helper file `~/.vault-token` that `login` writes.
    var token: String {
        if let token = Self.env(environment, "TOKEN") { return token }
        guard let home = environment["HOME"],
              let stored = try? String(contentsOfFile: home + "/.vault-token", encoding: .utf8) else { return "" }
        return stored.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func storeToken(_ token: String) throws {
        guard let home = environment["HOME"], !home.isEmpty else { throw CLIFailure.local("cannot store the token: HOME is not set") }
        do {
            try TokenHelperFile.write(token, home: home)
        } catch {
            throw CLIFailure.local("\(error)")
        }
    }

    /// Sends a request; an error status becomes `CLIFailure.api` with Vault's wording.
    func call(_ method: String, _ path: String, body: JSONValue? = nil, query: String? = nil, prefix: String = "",
              token: String? = nil, headers: [String: String] = [:]) async throws -> VaultClient.Response {
        let response: VaultClient.Response
        do {
            response = try await client.request(method, path, token: token ?? self.token, body: body, query: query, headers: headers)
        } catch let failure as VaultClient.TransportFailure {
            throw CLIFailure.server(prefix + failure.description)
        }
        if !response.isSuccess && response.status != 404 {
            throw CLIFailure.server(prefix + APIErrorText.describe(response, method: method, url: client.url(path, query: query)))
        }
        return response
    }
}

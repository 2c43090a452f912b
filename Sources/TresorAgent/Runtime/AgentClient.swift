import Foundation
import NIOCore
import TresorAPI
import TresorJSON

/// The agent's connection to the server: the `vault` stanza, with the usual environment variables
/// where the stanza is silent, and Vault's client retries (5xx, 412 and transport failures, up to
/// `num_retries`, waiting 1–1.5 s between tries).
public struct AgentClient: Sendable {
    public let client: VaultClient
    let retries: Int

    public init(_ vault: AgentConfig.Vault, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func pick(_ configured: String, _ name: String) -> String? {
            if !configured.isEmpty { return configured }
            return environment["VAULT_" + name] ?? environment["BAO_" + name]
        }
        let address = pick(vault.address, "ADDR") ?? "https://127.0.0.1:8200"
        let skip = vault.tlsSkipVerify || ["1", "true", "t"].contains((environment["VAULT_SKIP_VERIFY"] ?? "").lowercased())
        let vault = try vault.applyingEnvironment(environment)
        retries = vault.numRetries
        let capped = min(vault.clientTimeout, .seconds(86_400))
        let timeout = TimeAmount.nanoseconds(capped.components.seconds * 1_000_000_000 + capped.components.attoseconds / 1_000_000_000)
        do {
            client = try VaultClient(address: address, caCertFile: pick(vault.caCert, "CACERT"), skipVerify: skip, timeout: timeout,
                                     caPath: pick(vault.caPath, "CAPATH"), clientCertFile: pick(vault.clientCert, "CLIENT_CERT"),
                                     clientKeyFile: pick(vault.clientKey, "CLIENT_KEY"),
                                     proxy: ProxyFromEnvironment.proxy(for: address, environment: environment))
        } catch {
            throw AgentFailure("error setting up the client for \(address): \(error)")
        }
    }

    /// One request, retried as Vault's client does. Answers with 4xx come back as they are.
    public func request(_ method: String, _ path: String, token: String?, body: JSONValue? = nil,
                        headers: [String: String] = [:]) async throws -> VaultClient.Response {
        var attempt = 0
        while true {
            do {
                let response = try await client.request(method, path, token: token, body: body, headers: headers)
                if (response.status >= 500 || response.status == 412) && attempt < retries {
                    attempt += 1
                    try await Task.sleep(for: .milliseconds(Int.random(in: 1000...1500)))
                    continue
                }
                return response
            } catch let failure as VaultClient.TransportFailure {
                guard attempt < retries else { throw failure }
                attempt += 1
                try await Task.sleep(for: .milliseconds(Int.random(in: 1000...1500)))
            }
        }
    }
}

extension VaultClient.Response {
    /// Vault's error text for a failed response, as the Go client prints it.
    func failure(_ method: String, _ url: String) -> String {
        var text = "Error making API request.\n\nURL: \(method) \(url)\nCode: \(status). Errors:\n\n"
        text += errors.map { "* " + $0 }.joined(separator: "\n")
        return text
    }
}

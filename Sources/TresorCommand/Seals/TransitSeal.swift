import Foundation
import TresorAPI
@_spi(Server) import TresorCore

/// `seal "transit"`: another Vault-API server's transit engine encrypts and decrypts the root
/// key, so this server unseals itself whenever that one is reachable.
struct TransitSeal: AutoSeal {
    let type = "transit"
    let client: VaultClient
    let token: String
    let mountPath: String
    let keyName: String

    init(options: [String: String], environment: [String: String]) throws {
        guard let address = options["address"] ?? environment["VAULT_ADDR"], !address.isEmpty else {
            throw AutoSealError("seal \"transit\": address is required")
        }
        guard let keyName = options["key_name"], !keyName.isEmpty else {
            throw AutoSealError("seal \"transit\": key_name is required")
        }
        let token = options["token"] ?? environment["VAULT_TOKEN"] ?? ""
        guard !token.isEmpty else { throw AutoSealError("seal \"transit\": token is required (or VAULT_TOKEN)") }
        var mount = options["mount_path"] ?? "transit/"
        if mount.hasPrefix("/") { mount.removeFirst() }
        if !mount.hasSuffix("/") { mount += "/" }
        client = try VaultClient(address: address, caCertFile: options["tls_ca_cert"],
                                 skipVerify: options["tls_skip_verify"] == "true", timeout: .seconds(10))
        self.token = token
        self.mountPath = mount
        self.keyName = keyName
    }

    func encrypt(_ plaintext: [UInt8]) async throws -> [UInt8] {
        let response = try await call("encrypt", ["plaintext": .string(Data(plaintext).base64EncodedString())])
        guard let ciphertext = response.data?["ciphertext"]?.stringValue else {
            throw AutoSealError("transit seal: \(client.address) answered encrypt without a ciphertext")
        }
        return Array(ciphertext.utf8)
    }

    func decrypt(_ ciphertext: [UInt8]) async throws -> [UInt8] {
        let response = try await call("decrypt", ["ciphertext": .string(String(decoding: ciphertext, as: UTF8.self))])
        guard let encoded = response.data?["plaintext"]?.stringValue, let plain = Data(base64Encoded: encoded) else {
            throw AutoSealError("transit seal: \(client.address) answered decrypt without a plaintext")
        }
        return Array(plain)
    }

    private func call(_ operation: String, _ body: JSONValue) async throws -> VaultClient.Response {
        let response: VaultClient.Response
        do {
            response = try await client.request("POST", "\(mountPath)\(operation)/\(keyName)", token: token, body: body)
        } catch {
            throw AutoSealError("transit seal: cannot reach \(client.address): \(error)")
        }
        guard response.status == 200 else {
            let why = response.errors.joined(separator: "; ")
            throw AutoSealError("transit seal: \(operation) with key \"\(keyName)\" at \(client.address) failed (\(response.status)): \(why)")
        }
        return response
    }
}

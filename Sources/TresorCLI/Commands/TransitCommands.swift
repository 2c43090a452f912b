import ArgumentParser
import Foundation
import TresorJSON
import TresorKeyWrap

struct TransitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transit", abstract: "Interact with the transit secrets engine.",
        subcommands: [TransitImport.self, TransitImportVersion.self])
}

struct TransitImport: APICommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import a key into a transit engine as a new key.",
        discussion: """
            KEY is base64 key material, or @file holding it: raw bytes for symmetric and HMAC keys, PKCS#8 DER for \
            private asymmetric keys. The material is sealed to the engine's wrapping key on this machine; the server \
            never sees it unwrapped in transit.

            Example:
              tresor transit import transit/keys/imported @key.b64 type=rsa-2048 exportable=true
            """)
    @OptionGroup var global: GlobalOptions
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        try await TransitKeyImport.run(arguments, ctx: ctx, endpoint: "import")
    }
}

struct TransitImportVersion: APICommand {
    static let configuration = CommandConfiguration(
        commandName: "import-version", abstract: "Import key material as a new version of an imported transit key.",
        discussion: "Example:\n  tresor transit import-version transit/keys/imported @key.b64")
    @OptionGroup var global: GlobalOptions
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        try await TransitKeyImport.run(arguments, ctx: ctx, endpoint: "import_version")
    }
}

/// What `bao transit import` does: fetch the wrapping key, seal the material to it, submit it.
enum TransitKeyImport {
    static func run(_ arguments: [String], ctx: CLIContext, endpoint: String) async throws {
        guard arguments.count >= 2 else {
            throw CLIFailure.usage("Incorrect argument count (expected 2+, got \(arguments.count)). Wanted PATH to import into and KEY material.")
        }
        let path = sanitizePath(arguments[0])
        guard let range = path.range(of: "/keys/", options: .backwards), !path[range.upperBound...].isEmpty,
              !path[range.upperBound...].contains("/") else {
            throw CLIFailure.usage("expected transit path and key name in the form :path:/keys/:name:")
        }
        let mount = String(path[..<range.lowerBound])
        var text = arguments[1]
        if text.hasPrefix("@") {
            guard let contents = FileManager.default.contents(atPath: String(text.dropFirst())) else {
                throw CLIFailure.usage("error reading source key material from \(text.dropFirst())")
            }
            text = String(decoding: contents, as: UTF8.self)
        }
        guard let material = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw CLIFailure.usage("error base64 decoding source key material: illegal base64 data")
        }
        var body = try KeyValueArguments.parse(Array(arguments.dropFirst(2)))
        UI.output("Retrieving wrapping key.")
        let wrapping = try await ctx.call("GET", mount + "/wrapping_key", prefix: "failed to fetch wrapping key: ")
        guard let pem = wrapping.json?.objectValue?["data"]?.objectValue?["public_key"]?.stringValue else {
            throw CLIFailure.server("failed to fetch wrapping key: no public key in the response")
        }
        UI.output("Wrapping source key with ephemeral key.")
        UI.output("Encrypting ephemeral key with wrapping key.")
        let hash = body["hash_function"]?.stringValue.flatMap(ImportEnvelope.OAEPHash.named) ?? .sha256
        do {
            body["ciphertext"] = .string(try ImportEnvelope.seal([UInt8](material), wrappingKeyPEM: pem, hash: hash))
        } catch {
            throw CLIFailure.server("failed to wrap the key material: \(error)")
        }
        UI.output("Submitting wrapped key.")
        _ = try await ctx.call("PUT", path + "/" + endpoint, body: .object(body), prefix: "failed to call \(endpoint):")
        UI.output("Success!")
    }
}

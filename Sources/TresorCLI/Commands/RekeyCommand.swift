import ArgumentParser
import Foundation
import TresorAPI
import TresorJSON

/// `tresor operator rekey`, as the bao CLI has it: -init (with -key-shares, -key-threshold,
/// -verify), one current key share per call, -status, -cancel; with -verify the new shares are
/// given back through sys/rekey/verify.
struct OperatorRekey: APICommand {
    static let configuration = CommandConfiguration(commandName: "rekey", abstract: "Make new unseal key shares.",
        discussion: """
            Example:
              tresor operator rekey -init -key-shares=3 -key-threshold=2
              tresor operator rekey -nonce=N <current key>      # once per current key holder
              tresor operator rekey -verify -nonce=V <new key>  # when -init had -verify
            """)
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("init")) var initialize = false
    @Flag(name: .customLong("status")) var status = false
    @Flag(name: .customLong("cancel")) var cancel = false
    @Flag(name: .customLong("verify")) var verify = false
    @Option(name: .customLong("key-shares")) var shares: Int = 5
    @Option(name: .customLong("key-threshold")) var threshold: Int = 3
    @Option(name: .customLong("nonce")) var nonce = ""
    @Option(name: .customLong("target")) var target = "barrier"
    @Option(name: .customLong("pgp-keys")) var pgpKeys = ""
    @Flag(name: .customLong("backup")) var backup = false
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        guard target == "barrier" else { throw CLIFailure.usage("-target=\(target) is not supported: only the barrier's unseal keys are rekeyed") }
        guard pgpKeys.isEmpty, !backup else { throw CLIFailure.usage("-pgp-keys and -backup are not supported") }
        let base = verify ? "sys/rekey/verify" : "sys/rekey/init"
        if cancel {
            _ = try await ctx.call("DELETE", base, prefix: "Error canceling rekey: ")
            return UI.output(verify ? "Success! Rekey verification canceled." : "Success! Canceled rekeying (if it was started)")
        }
        if status { return try show(ctx, try await ctx.call("GET", base, prefix: "Error reading rekey status: ")) }
        if initialize {
            let body: JSONValue = ["secret_shares": .int(Int64(shares)), "secret_threshold": .int(Int64(threshold)), "require_verification": .bool(verify)]
            return try show(ctx, try await ctx.call("PUT", "sys/rekey/init", body: body, prefix: "Error initializing rekey: "))
        }
        let key = try HiddenInput.unsealKey(argument: arguments.first)
        var chosen = nonce
        if chosen.isEmpty { chosen = VaultJSON(try await ctx.call("GET", base, prefix: "Error reading rekey status: ").json).string("nonce") }
        let path = verify ? "sys/rekey/verify" : "sys/rekey/update"
        try show(ctx, try await ctx.call("PUT", path, body: ["key": .string(key), "nonce": .string(chosen)], prefix: "Error posting unseal key: "))
    }

    private func show(_ ctx: CLIContext, _ response: VaultClient.Response) throws {
        if ctx.format == "json" { return UI.output(PrettyJSON.render(response.json ?? [:])) }
        let body = VaultJSON(response.json)
        if body.bool("complete") {
            let keys = body.object["keys_base64"]?.arrayValue ?? []
            var lines = keys.enumerated().map { "Key \($0.offset + 1): \(ValueText.text($0.element))" }
            if !lines.isEmpty { lines.append("") }
            if let verification = body.object["verification_nonce"]?.stringValue {
                lines.append("Verification nonce: \(verification); give \(body.text("t")) of the new keys back with -verify before they take effect.")
            } else if lines.isEmpty {
                lines.append("Success! Rekey verification was successful. The new unseal keys are in effect.")
            } else {
                lines.append("Operation nonce: \(body.string("nonce"))")
                lines.append("")
                lines.append("Vault unseal keys rekeyed with \(keys.count) key shares.")
            }
            return UI.output(lines.joined(separator: "\n"))
        }
        var rows: [(String, String)] = [("Nonce", body.string("nonce")), ("Started", body.text("started"))]
        if body.object["required"] != nil { rows.append(("Rekey Progress", "\(body.text("progress"))/\(body.text("required"))")) }
        rows.append(("New Shares", body.text("n")))
        rows.append(("New Threshold", body.text("t")))
        if body.object["verification_required"] != nil { rows.append(("Verification Required", body.text("verification_required"))) }
        UI.output(Columns.keyValue(rows))
    }
}

import ArgumentParser
import Foundation
import TresorAPI
import TresorJSON

/// `tresor operator generate-root`, as the bao CLI has it: -init, a key share per call, -status,
/// -cancel, -generate-otp and -decode. It uses the authenticated sys/generate-root paths, so the
/// caller's token needs sudo there.
struct OperatorGenerateRoot: APICommand {
    static let configuration = CommandConfiguration(commandName: "generate-root", abstract: "Generate a new root token from key shares.",
        discussion: """
            Example:
              tresor operator generate-root -init            # prints the nonce and the OTP
              tresor operator generate-root -nonce=N <key>   # once per key holder
              tresor operator generate-root -decode=ENCODED -otp=OTP
            """)
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("init")) var initialize = false
    @Flag(name: .customLong("status")) var status = false
    @Flag(name: .customLong("cancel")) var cancel = false
    @Flag(name: .customLong("generate-otp")) var generateOTP = false
    @Option(name: .customLong("otp")) var otp = ""
    @Option(name: .customLong("nonce")) var nonce = ""
    @Option(name: .customLong("decode")) var decode = ""
    @Option(name: .customLong("pgp-key")) var pgpKey = ""
    @Argument var arguments: [String] = []

    func execute(_ ctx: CLIContext) async throws {
        guard pgpKey.isEmpty else { throw CLIFailure.usage("-pgp-key is not supported: use -otp") }
        if !decode.isEmpty {
            guard !otp.isEmpty else { throw CLIFailure.usage("Missing -otp flag; the OTP is required with -decode") }
            guard let token = Self.decodeToken(decode, otp: otp) else { throw CLIFailure.usage("Error decoding root token: the encoded token and the OTP do not match") }
            return UI.output(token)
        }
        if generateOTP {
            return UI.output(Self.newOTP())
        }
        if cancel {
            _ = try await ctx.call("DELETE", "sys/generate-root/attempt", prefix: "Error canceling root token generation: ")
            return UI.output("Success! Root token generation canceled (if it was started)")
        }
        if status {
            return try render(ctx, try await ctx.call("GET", "sys/generate-root/attempt", prefix: "Error getting root generation status: "))
        }
        if initialize {
            let body: JSONValue = otp.isEmpty ? [:] : ["otp": .string(otp)]
            return try render(ctx, try await ctx.call("PUT", "sys/generate-root/attempt", body: body, prefix: "Error initializing root generation: "))
        }
        let key = try HiddenInput.unsealKey(argument: arguments.first)
        var chosenNonce = nonce
        if chosenNonce.isEmpty {
            let current = VaultJSON(try await ctx.call("GET", "sys/generate-root/attempt", prefix: "Error getting root generation status: ").json)
            chosenNonce = current.string("nonce")
        }
        try render(ctx, try await ctx.call("PUT", "sys/generate-root/update", body: ["key": .string(key), "nonce": .string(chosenNonce)],
                                           prefix: "Error posting unseal key: "))
    }

    private func render(_ ctx: CLIContext, _ response: VaultClient.Response) throws {
        let body = VaultJSON(response.json)
        if ctx.format == "json" { return UI.output(PrettyJSON.render(response.json ?? [:])) }
        var rows: [(String, String)] = [
            ("Nonce", body.string("nonce")), ("Started", body.text("started")), ("Progress", "\(body.text("progress"))/\(body.text("required"))"),
            ("Complete", body.text("complete")),
        ]
        if !body.string("encoded_token").isEmpty { rows.append(("Encoded Token", body.string("encoded_token"))) }
        if !body.string("otp").isEmpty { rows.append(("OTP", body.string("otp"))) }
        rows.append(("OTP Length", body.text("otp_length")))
        UI.output(Columns.keyValue(rows))
    }

    /// The token from `encoded_token`: base64 (unpadded) of the token XOR the OTP.
    static func decodeToken(_ encoded: String, otp: String) -> String? {
        var padded = encoded
        while padded.count % 4 != 0 { padded += "=" }
        guard let bytes = Data(base64Encoded: padded), bytes.count == otp.utf8.count else { return nil }
        return String(bytes: zip(Array(bytes), Array(otp.utf8)).map { $0 ^ $1 }, encoding: .utf8)
    }

    /// An OTP as long as a root token: 28 characters of [0-9A-Za-z].
    static func newOTP() -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var generator = SystemRandomNumberGenerator()
        return String((0..<28).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}

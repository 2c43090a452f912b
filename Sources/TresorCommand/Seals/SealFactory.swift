import Foundation
@_spi(Server) import TresorCore

/// Builds the auto seal a config's `seal` stanza asks for; nil means Shamir.
enum SealFactory {
    static func make(_ stanza: ServerConfig.Stanza?, environment: [String: String]) throws -> AutoSeal? {
        guard let stanza else { return nil }
        do {
            switch stanza.type {
            case "shamir":
                return nil
            case "static":
                let keyID = stanza.options["current_key_id"] ?? ""
                let key = try resolve(stanza.options["current_key"] ?? "", environment: environment)
                return try StaticSeal(keyID: keyID, key: key)
            case "transit":
                return try TransitSeal(options: stanza.options, environment: environment)
            default:
                throw AutoSealError("unsupported seal type \"\(stanza.type)\" (shamir, static, transit)")
            }
        } catch let error as AutoSealError {
            throw ConfigError(file: stanza.file, line: nil, message: error.description)
        }
    }

    /// A key given inline (base64 or hex), as `env://NAME` or as `file://PATH`.
    static func resolve(_ reference: String, environment: [String: String]) throws -> [UInt8] {
        var text = reference
        if reference.hasPrefix("env://") {
            let name = String(reference.dropFirst(6))
            guard let value = environment[name], !value.isEmpty else {
                throw AutoSealError("static seal: environment variable \(name) is not set")
            }
            text = value
        } else if reference.hasPrefix("file://") {
            let path = String(reference.dropFirst(7))
            guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw AutoSealError("static seal: cannot read key file \(path)")
            }
            text = contents
        }
        text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw AutoSealError("static seal: current_key is required") }
        if text.count == 64, let bytes = KeyText.decode(text), bytes.count == 32 { return bytes }
        if let data = Data(base64Encoded: text) { return Array(data) }
        throw AutoSealError("static seal: current_key must be 32 bytes in base64 or hex")
    }
}

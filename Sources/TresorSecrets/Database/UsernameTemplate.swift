import Crypto
import Foundation
import GoTemplate
import TresorCore

/// `username_template`: Vault's Go template for naming dynamic users, with its functions.
/// Inputs are cleaned before rendering and the result must be a safe identifier, so neither a
/// display name nor a template can smuggle SQL into the statements.
enum UsernameTemplate {
    static let functions: [String: GoTemplate.Function] = [
        "printf": { args in
            guard case .string(let format)? = args.first else { throw GoTemplate.Error("printf needs a format string") }
            return .string(try printf(format, Array(args.dropFirst())))
        },
        // Vault's sdk/helper/template: lengths count bytes, as Go's len and slicing do.
        "truncate": { args in
            guard args.count == 2, case .int(let length) = args[0] else { throw GoTemplate.Error("truncate needs a length and a string") }
            guard length > 0 else { throw GoTemplate.Error("max length must be > 0 but was \(length)") }
            return .string(bytePrefix(args[1].text, length))
        },
        // Keeps the first maxLen-8 bytes and replaces the rest by the first 8 hex digits of its SHA-256.
        "truncate_sha256": { args in
            guard args.count == 2, case .int(let length) = args[0] else { throw GoTemplate.Error("truncate_sha256 needs a length and a string") }
            guard length > 8 else { throw GoTemplate.Error("max length must be > 8 but was \(length)") }
            let bytes = Array(args[1].text.utf8)
            guard bytes.count > length else { return .string(args[1].text) }
            let kept = length - 8
            let digest = SHA256.hash(data: bytes[kept...]).hexString
            return .string(String(decoding: bytes[..<kept], as: UTF8.self) + digest.prefix(8))
        },
        "uppercase": { args in .string(args.last?.text.uppercased() ?? "") },
        "lowercase": { args in .string(args.last?.text.lowercased() ?? "") },
        "replace": { args in
            guard args.count == 3 else { throw GoTemplate.Error("replace needs old, new and a string") }
            return .string(args[2].text.replacingOccurrences(of: args[0].text, with: args[1].text))
        },
        "random": { args in
            guard case .int(let length)? = args.first, (1...128).contains(length) else { throw GoTemplate.Error("random needs a length from 1 to 128") }
            return .string(TokenCrypto.randomString(length))
        },
        "unix_time": { _ in .int(Int(Date().timeIntervalSince1970)) },
        "unix_time_millis": { _ in .int(Int(Date().timeIntervalSince1970 * 1000)) },
        "uuid": { _ in .string(RandomUUID.string()) },
        "sha256": { args in .string(SHA256.hash(data: Array((args.last?.text ?? "").utf8)).hexString) },
        "base64": { args in .string(Data((args.last?.text ?? "").utf8).base64EncodedString()) },
    ]

    static func bytePrefix(_ text: String, _ length: Int) -> String {
        let bytes = Array(text.utf8)
        return bytes.count > length ? String(decoding: bytes[..<length], as: UTF8.self) : text
    }

    /// printf with the verbs templates use: %s, %d, %v and %%.
    static func printf(_ format: String, _ args: [GoTemplate.Value]) throws -> String {
        var out = ""
        var remaining = args[...]
        var chars = format.makeIterator()
        while let c = chars.next() {
            guard c == "%" else { out.append(c); continue }
            guard let verb = chars.next() else { throw GoTemplate.Error("printf: format ends in %") }
            switch verb {
            case "%": out.append("%")
            case "s", "d", "v":
                guard let value = remaining.popFirst() else { throw GoTemplate.Error("printf: missing argument for %\(verb)") }
                out += value.text
            default: throw GoTemplate.Error("printf: unsupported verb %\(verb)")
            }
        }
        return out
    }

    static func validate(_ template: String) throws {
        do {
            _ = try GoTemplate(template)
        } catch {
            throw TresorError.badRequest("invalid username_template: \(error)")
        }
    }

    static func render(_ template: String, displayName: String, roleName: String) throws -> String {
        let fields: [String: GoTemplate.Value] = [
            "DisplayName": .string(SQLTemplate.sanitize(displayName, limit: 256)),
            "RoleName": .string(SQLTemplate.sanitize(roleName, limit: 256)),
        ]
        let name: String
        do {
            name = try GoTemplate(template).render(fields: fields, functions: functions)
        } catch {
            throw TresorError.badRequest("username_template failed: \(error)")
        }
        guard !name.isEmpty, name.utf8.count <= 63, SQLTemplate.sanitize(name, limit: 63) == name else {
            throw TresorError.badRequest("username_template must produce 1 to 63 letters, digits, '-' or '_'; it produced \"\(name.prefix(80))\"")
        }
        return name
    }
}

import Foundation
import TresorJSON

/// Prints an API answer in the chosen format, or one field of it.
struct Printer {
    let format: String
    let field: String?

    /// The generic secret output of read, write, token and lease commands.
    func secret(_ response: JSONValue) throws {
        UI.warnings(response, format: format)
        if let field { return try printField(field, in: response) }
        switch format {
        case "json": UI.output(PrettyJSON.secret(response))
        case "yaml": UI.output(YAML.render(response))
        default:
            let table = Columns.keyValue(SecretTable.rows(response))
            if !table.isEmpty { UI.output(table) }
        }
    }

    /// `-field`: the value alone, without a trailing newline, as Vault prints it to a pipe.
    func printField(_ name: String, in response: JSONValue) throws {
        let object = response.objectValue ?? [:]
        let auth = object["auth"]?.objectValue
        var value: JSONValue?
        if let auth {
            switch name {
            case "token": value = auth["client_token"]
            case "token_accessor": value = auth["accessor"]
            case "token_duration": value = auth["lease_duration"]
            case "token_renewable": value = auth["renewable"]
            case "token_policies", "policies", "identity_policies": value = auth[name]
            default: break
            }
        }
        if value == nil {
            switch name {
            case "lease_duration", "lease_id", "request_id", "renewable": value = object[name]
            default: value = object["data"]?.objectValue?[name]
            }
        }
        guard let value, !value.isNull else {
            throw CLIFailure.local("Field \"\(name)\" not present in secret")
        }
        UI.raw(format == "json" ? PrettyJSON.render(value) : ValueText.text(value))
    }
}

/// Enough YAML for Vault's `-format=yaml`: keys sorted, lists unindented, strings quoted when
/// plain text would be misread.
enum YAML {
    static func render(_ value: JSONValue) -> String {
        var lines: [String] = []
        emit(value, indent: "", into: &lines, inList: false)
        return lines.joined(separator: "\n")
    }

    private static func emit(_ value: JSONValue, indent: String, into lines: inout [String], inList: Bool) {
        switch value {
        case .object(let map):
            for key in map.keys.sorted() {
                let child = map[key]!
                switch child {
                case .object(let inner) where !inner.isEmpty:
                    lines.append(indent + scalar(.string(key)) + ":")
                    emit(child, indent: indent + "  ", into: &lines, inList: false)
                case .array(let items) where !items.isEmpty:
                    lines.append(indent + scalar(.string(key)) + ":")
                    for item in items {
                        lines.append(indent + "- " + scalar(item))
                    }
                default:
                    lines.append(indent + scalar(.string(key)) + ": " + scalar(child))
                }
            }
        default:
            lines.append(indent + scalar(value))
        }
    }

    static func scalar(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int, .double: return value.looseString
        case .array(let items): return items.isEmpty ? "[]" : "[" + items.map(scalar).joined(separator: ", ") + "]"
        case .object(let map): return map.isEmpty ? "{}" : "{" + map.keys.sorted().map { "\($0): \(scalar(map[$0]!))" }.joined(separator: ", ") + "}"
        case .string(let s):
            let reserved = ["", "true", "false", "null", "yes", "no", "y", "n", "on", "off", "~"]
            if reserved.contains(s.lowercased()) || Double(s) != nil || s.hasPrefix(" ") || s.hasSuffix(" ")
                || s.contains(": ") || s.contains("#") || s.first.map({ "!&*-?{}[],|>'\"%@`".contains($0) }) == true
                || s.contains("\n") || s.range(of: #"^\d{4}-\d{2}-\d{2}"#, options: .regularExpression) != nil {
                return String(decoding: JSONWriter.encode(.string(s)), as: UTF8.self)
            }
            return s
        }
    }
}

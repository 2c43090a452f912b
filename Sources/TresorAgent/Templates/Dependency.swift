import Foundation
import GoTemplate
import TresorJSON

/// Something a template reads from outside: consul-template's dependencies.
enum Dependency: Hashable, Sendable, CustomStringConvertible {
    /// `secret "path"` (a read), or `secret "path" "k=v" ...` (a write, such as `pki/issue`).
    case secret(path: String, data: [String: String])
    /// `secrets "path"`: a list.
    case list(path: String)
    /// `pkiCert "path" "k=v" ...`: a certificate issued, and issued again before it expires.
    case pkiCert(path: String, data: [String: String])
    /// `file "path"`.
    case file(path: String)

    var description: String {
        switch self {
        case .secret(let path, let data): return "vault.read(\(path))" + (data.isEmpty ? "" : " with \(data.keys.sorted())")
        case .list(let path): return "vault.list(\(path))"
        case .pkiCert(let path, _): return "vault.pki(\(path))"
        case .file(let path): return "file(\(path))"
        }
    }

    /// Parses `secret`'s arguments: a path and `key=value` pairs.
    static func arguments(_ values: [TemplateValue], function: String) throws -> (String, [String: String]) {
        guard let first = values.first, case .string(let rawPath) = first else { throw GoTemplate.Error("\(function): a path is required") }
        var data: [String: String] = [:]
        for value in values.dropFirst() {
            let pair = value.text
            guard let equals = pair.firstIndex(of: "=") else { throw GoTemplate.Error("\(function): invalid key=value pair \"\(pair)\"") }
            data[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        let path = rawPath.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard !path.isEmpty else { throw GoTemplate.Error("\(function): a path is required") }
        return (path, data)
    }
}

/// A fetched dependency and when to look at it again.
struct Fetched: Sendable {
    var value: TemplateValue
    var leaseID = ""
    var leaseDuration: Int64 = 0
    var renewable = false
    /// When it must be renewed or fetched anew.
    var due: ContinuousClock.Instant
    /// Whether the next turn renews (false: fetch anew).
    var renewNext = false
}

extension TemplateValue {
    /// A JSON value from the server, numbers kept as Go's json.Number does.
    init(json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .number(String(i))
        case .double(let d): self = .number(GoJSON.float(d))
        case .string(let s): self = .string(s)
        case .array(let items): self = .array(items.map(TemplateValue.init(json:)))
        case .object(let object): self = .map(object.mapValues(TemplateValue.init(json:)))
        }
    }

    /// consul-template's Secret: the response's fields under Go's names.
    static func secret(_ response: [String: JSONValue]) -> TemplateValue {
        var secret: [String: TemplateValue] = [
            "RequestID": .string(response["request_id"]?.stringValue ?? ""),
            "LeaseID": .string(response["lease_id"]?.stringValue ?? ""),
            "LeaseDuration": .int(Int(AutoAuth.int(response["lease_duration"]))),
            "Renewable": .bool(response["renewable"]?.boolValue ?? false),
            "Data": response["data"].map(TemplateValue.init(json:)) ?? .null,
            "Warnings": response["warnings"].map(TemplateValue.init(json:)) ?? .null,
            "Auth": .null,
            "WrapInfo": .null,
        ]
        if case .null? = secret["Data"] { secret["Data"] = .map([:]) }
        return .map(secret)
    }
}

import Foundation
import TresorJSON

/// The claims template of an identity-token role: a JSON object in which `{{ ... }}` directives
/// (`{{identity.entity.name}}`, `{{identity.entity.groups.names}}`, `{{time.now.plus.1h}}`) are
/// replaced by JSON values of the token's entity, as Vault does. A value the entity lacks is
/// `""` (a string), `{}` (metadata) or `null` (group lists); an unknown directive is an error.
enum OIDCTemplate {
    /// Claims Tresor sets itself; a template may not.
    static let reservedClaims = ["iat", "aud", "exp", "iss", "sub", "namespace", "nonce", "auth_time", "at_hash", "c_hash"]

    /// The template as a role stores it: base64 is decoded (Vault takes either), and it must
    /// render, for an entity with nothing set, to a JSON object without reserved claims.
    static func normalise(_ raw: String) throws(TresorError) -> String {
        var template = raw
        if !raw.isEmpty, let data = Data(base64Encoded: raw), let decoded = String(data: data, encoding: .utf8) { template = decoded }
        guard !template.isEmpty else { return "" }
        let claims = try render(template, context: nil, now: Date())
        if let reserved = claims.keys.sorted().first(where: { reservedClaims.contains($0) }) {
            throw TresorError.badRequest("top level key \"\(reserved)\" not allowed. Restricted keys: \(reservedClaims.joined(separator: ", "))")
        }
        return template
    }

    /// The template's claims for `context` (nil: an entity with nothing set).
    static func render(_ template: String, context: IdentityTemplateContext?, now: Date) throws(TresorError) -> [String: JSONValue] {
        guard !template.isEmpty else { return [:] }
        var out: [UInt8] = []
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            out += Array(rest[..<open.lowerBound].utf8)
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw TresorError.badRequest("error parsing template: missing closing brackets")
            }
            let expression = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard let value = value(expression, context ?? .empty, now: now) else {
                throw TresorError.badRequest("error parsing template: no value could be found for one of the template directives")
            }
            JSONWriter.write(value, into: &out)
            rest = rest[close.upperBound...]
        }
        out += Array(rest.utf8)
        let parsed: JSONValue
        do {
            parsed = try JSONValue.parse(out, limits: .requestDefault)
        } catch {
            throw TresorError.badRequest("error parsing template JSON: \(error.description)")
        }
        guard case .object(let claims) = parsed else {
            throw TresorError.badRequest("error parsing template JSON: the template must be a JSON object")
        }
        return claims
    }

    /// One directive's value, or nil if it names nothing Tresor knows.
    static func value(_ expression: String, _ context: IdentityTemplateContext, now: Date) -> JSONValue? {
        if expression == "time.now" { return .int(Int64(now.timeIntervalSince1970)) }
        for (prefix, sign) in [("time.now.plus.", Int64(1)), ("time.now.minus.", Int64(-1))] where expression.hasPrefix(prefix) {
            guard let seconds = DurationParser.seconds(String(expression.dropFirst(prefix.count))) else { return nil }
            return .int(Int64(now.timeIntervalSince1970) + sign * seconds)
        }
        let groups = context.groupsByID.sorted { $0.key < $1.key }
        switch expression {
        case "identity.entity.id": return .string(context.entityID)
        case "identity.entity.name": return .string(context.entityName)
        case "identity.entity.metadata": return JSONValue(context.entityMetadata)
        case "identity.entity.groups.ids": return groups.isEmpty ? .null : JSONValue(groups.map(\.key))
        case "identity.entity.groups.names": return groups.isEmpty ? .null : JSONValue(groups.map(\.value.name).sorted())
        default: break
        }
        if let key = expression.dropPrefix("identity.entity.metadata.") { return .string(context.entityMetadata[key] ?? "") }
        if let rest = expression.dropPrefix("identity.entity.aliases.") {
            // <mount accessor>.(id | name | metadata[.<key>])
            guard let dot = rest.firstIndex(of: ".") else { return nil }
            let alias = context.aliases[String(rest[..<dot])]
            let field = String(rest[rest.index(after: dot)...])
            switch field {
            case "id": return .string(alias?.id ?? "")
            case "name": return .string(alias?.name ?? "")
            case "metadata": return JSONValue(alias?.metadata ?? [:])
            default:
                guard let key = field.dropPrefix("metadata.") else { return nil }
                return .string(alias?.metadata[key] ?? "")
            }
        }
        // identity.groups.ids.<id>.(name | metadata.<key>), identity.groups.names.<name>.(id | metadata.<key>)
        if expression.wholeMatch(of: /identity\.groups\.(ids\.[^.]+\.name|names\.[^.]+\.id|(ids|names)\.[^.]+\.metadata\..+)/) != nil {
            return .string(context.value(expression) ?? "")
        }
        return nil
    }
}

extension IdentityTemplateContext {
    /// An entity with nothing set: what a role's template is checked against when it is written.
    static let empty = IdentityTemplateContext(entityID: "", entityName: "", entityMetadata: [:], aliases: [:], groupsByID: [:])
}

private extension String {
    func dropPrefix(_ prefix: String) -> String? { hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil }
}

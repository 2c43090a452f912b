import TresorJSON

/// Go's json.MarshalIndent(v, "", "  "): two-space indents, maps sorted, structs in their own
/// field order (given as `order`), HTML characters escaped.
enum PrettyJSON {
    static let secretOrder = ["request_id", "lease_id", "lease_duration", "renewable", "data", "warnings", "auth", "wrap_info"]
    static let authOrder = ["client_token", "accessor", "policies", "token_policies", "identity_policies", "metadata",
                            "orphan", "entity_id", "lease_duration", "renewable", "mfa_requirement"]

    /// The secret as the CLI's struct sees it: known fields in order, `auth`/`wrap_info` only when set.
    static func secret(_ response: JSONValue) -> String {
        let object = response.objectValue ?? [:]
        var parts: [String] = []
        for key in secretOrder {
            let value = object[key] ?? .null
            if (key == "auth" || key == "wrap_info") && value.isNull { continue }
            var text = "  " + string(key) + ": "
            if key == "auth", case .object(let auth) = value {
                text += struct_(auth, order: authOrder, indent: "  ")
            } else {
                write(value, indent: "  ", into: &text)
            }
            parts.append(text)
        }
        return "{\n" + parts.joined(separator: ",\n") + "\n}"
    }

    /// A Go struct: every field present (null when the server left it out), in declared order.
    static func struct_(_ map: [String: JSONValue], order: [String], indent: String) -> String {
        var out = "{\n"
        out += order.map { key -> String in
            var text = indent + "  " + string(key) + ": "
            write(map[key] ?? .null, indent: indent + "  ", into: &text)
            return text
        }.joined(separator: ",\n")
        return out + "\n" + indent + "}"
    }

    static func render(_ value: JSONValue) -> String {
        var out = ""
        write(value, indent: "", into: &out)
        return out
    }

    static func write(_ value: JSONValue, indent: String, into out: inout String) {
        switch value {
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += indent + "  "
                write(item, indent: indent + "  ", into: &out)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += indent + "]"
        case .object(let map):
            if map.isEmpty { out += "{}"; return }
            out += "{\n"
            out += map.keys.sorted().map { key -> String in
                var text = indent + "  " + string(key) + ": "
                write(map[key]!, indent: indent + "  ", into: &text)
                return text
            }.joined(separator: ",\n")
            out += "\n" + indent + "}"
        default:
            out += String(decoding: JSONWriter.encode(value), as: UTF8.self)
        }
    }

    static func string(_ text: String) -> String {
        var bytes: [UInt8] = []
        JSONWriter.writeString(text, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}

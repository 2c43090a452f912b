import TresorJSON

/// How Vault's CLI prints values in tables: Go's %v of decoded JSON, and durations made human.
enum ValueText {
    static func text(_ value: JSONValue) -> String {
        switch value {
        case .null: return "<nil>"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double: return value.looseString
        case .string(let s): return s
        case .array(let items): return "[" + items.map(text).joined(separator: " ") + "]"
        case .object(let map): return "map[" + map.keys.sorted().map { "\($0):\(text(map[$0]!))" }.joined(separator: " ") + "]"
        }
    }

    /// Go's %q of a string list: ["default" "p"].
    static func quotedList(_ value: JSONValue?) -> String {
        let items = value?.arrayValue?.compactMap(\.stringValue) ?? []
        return "[" + items.map { "\"\($0)\"" }.joined(separator: " ") + "]"
    }

    static func looksLikeDuration(_ key: String) -> Bool {
        key == "period" || key.hasSuffix("_period") || key == "ttl" || key.hasSuffix("_ttl") || key == "duration"
            || key.hasSuffix("_duration") || key == "lease_max" || key == "ttl_max"
    }

    /// 3600 → "1h", 90 → "1m30s", 2764800 → "768h", 0 → "0s".
    static func duration(_ seconds: Int64) -> String {
        if seconds == 0 { return "0s" }
        let negative = seconds < 0
        var rest = abs(seconds)
        let hours = rest / 3600
        rest %= 3600
        let minutes = rest / 60
        let secs = rest % 60
        var text = ""
        if hours > 0 { text += "\(hours)h" }
        if hours > 0 || minutes > 0 { text += "\(minutes)m" }
        text += "\(secs)s"
        if text.hasSuffix("m0s") { text.removeLast(2) }
        if let range = text.range(of: "h0m") { text.replaceSubrange(range, with: "h") }
        return (negative ? "-" : "") + text
    }

    static func cell(_ key: String, _ value: JSONValue) -> String {
        if looksLikeDuration(key), case .int(let seconds) = value { return duration(seconds) }
        return text(value)
    }
}

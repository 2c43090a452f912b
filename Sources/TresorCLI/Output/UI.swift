import Foundation
import TresorJSON

/// Where text goes: stdout for results, stderr for errors and warnings; every message ends with
/// one newline, as Vault's UI does.
enum UI {
    static func output(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func raw(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Server warnings, before the data, only in table format.
    static func warnings(_ response: JSONValue?, format: String) {
        guard format == "table", let warnings = response?.objectValue?["warnings"]?.arrayValue?.compactMap(\.stringValue),
              !warnings.isEmpty else { return }
        var text = "WARNING! The following warnings were returned from Tresor:\n\n"
        for warning in warnings { text += "  * " + warning + "\n\n" }
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// "== Title ==" padded to `total` as Vault does: n = total - (len(title) + 2), at least 4, even.
    static func header(_ title: String, total: Int) -> String {
        var n = total - (title.utf8.count + 2)
        if n <= 0 { n = 4 }
        if n % 2 == 1 { n += 1 }
        let side = String(repeating: "=", count: n / 2)
        return side + " " + title + " " + side
    }

    static func mapHeader(_ title: String, _ map: [String: JSONValue]) -> String {
        header(title, total: (map.keys.map(\.utf8.count).max() ?? 0) + 9)
    }
}

/// Vault's OutputSecret: lease rows, token rows, then the data sorted by key.
enum SecretTable {
    static func rows(_ response: JSONValue) -> [(String, String)] {
        let object = response.objectValue ?? [:]
        var rows: [(String, String)] = []
        if case .int(let duration)? = object["lease_duration"], duration > 0 {
            if let id = object["lease_id"]?.stringValue, !id.isEmpty {
                rows.append(("lease_id", id))
                rows.append(("lease_duration", ValueText.duration(duration)))
                rows.append(("lease_renewable", ValueText.text(object["renewable"] ?? false)))
            } else {
                rows.append(("refresh_interval", ValueText.duration(duration)))
            }
        }
        if let auth = object["auth"]?.objectValue {
            rows.append(("token", auth["client_token"]?.stringValue ?? ""))
            rows.append(("token_accessor", auth["accessor"]?.stringValue ?? ""))
            if case .int(let duration)? = auth["lease_duration"], duration > 0 {
                rows.append(("token_duration", ValueText.duration(duration)))
            } else {
                rows.append(("token_duration", "∞"))
            }
            rows.append(("token_renewable", ValueText.text(auth["renewable"] ?? false)))
            rows.append(("token_policies", ValueText.quotedList(auth["token_policies"])))
            rows.append(("identity_policies", ValueText.quotedList(auth["identity_policies"])))
            rows.append(("policies", ValueText.quotedList(auth["policies"])))
            for (key, value) in (auth["metadata"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                rows.append(("token_meta_" + key, ValueText.text(value)))
            }
        }
        rows += dataRows(object["data"]?.objectValue ?? [:])
        return rows
    }

    static func dataRows(_ data: [String: JSONValue]) -> [(String, String)] {
        data.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { ($0, ValueText.cell($0, data[$0]!)) }
    }
}

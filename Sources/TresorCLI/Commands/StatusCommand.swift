import ArgumentParser
import TresorAPI
import Foundation
import TresorJSON

struct StatusCommand: APICommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Print seal and HA status.",
        discussion: "Exit codes: 0 unsealed, 2 sealed, 1 error.\n\nExample:\n  tresor status")
    @OptionGroup var global: GlobalOptions

    func execute(_ ctx: CLIContext) async throws {
        let seal: VaultJSON
        do {
            seal = VaultJSON(try await ctx.call("GET", "sys/seal-status", prefix: "Error checking seal status: ").json)
        } catch let CLIFailure.server(message) {
            throw CLIFailure.local(message)  // status reserves 2 for "sealed"
        }
        let leader = VaultJSON(try? await ctx.call("GET", "sys/leader").json)
        let sealed = seal.bool("sealed")
        if ctx.format == "json" {
            var object = seal.object
            object["ha_enabled"] = .bool(leader.bool("ha_enabled"))
            if leader.bool("ha_enabled") && !sealed {
                for key in ["is_self", "active_time", "leader_address", "leader_cluster_address", "performance_standby"] {
                    object[key] = leader.object[key]
                }
            }
            UI.output(PrettyJSON.render(.object(object)))
        } else if let field = ctx.field {
            guard let value = seal.object[field] else { throw CLIFailure.local("Field \"\(field)\" not present in seal status") }
            UI.raw(ValueText.text(value))
        } else {
            let recovery = seal.bool("recovery_seal")
            var rows: [[String]] = [
                ["Seal Type", seal.string("type")],
            ]
            rows.append(["Initialized", String(seal.bool("initialized"))])
            rows.append(["Sealed", String(sealed)])
            rows.append([recovery ? "Total Recovery Shares" : "Total Shares", seal.text("n")])
            rows.append(["Threshold", seal.text("t")])
            if sealed {
                rows.append(["Unseal Progress", "\(seal.text("progress"))/\(seal.text("t"))"])
                rows.append(["Unseal Nonce", seal.string("nonce")])
            }
            rows.append(["Version", seal.string("version")])
            rows.append(["Commit Date", seal.string("commit_date")])
            rows.append(["Storage Type", seal.string("storage_type")])
            if !seal.string("cluster_name").isEmpty && !seal.string("cluster_id").isEmpty {
                rows.append(["Cluster Name", seal.string("cluster_name")])
                rows.append(["Cluster ID", seal.string("cluster_id")])
            }
            rows.append(["HA Enabled", String(leader.bool("ha_enabled"))])
            if leader.bool("ha_enabled") && !sealed {
                rows.append(["HA Cluster", leader.string("leader_cluster_address").isEmpty ? "n/a" : leader.string("leader_cluster_address")])
                rows.append(["HA Mode", leader.bool("is_self") ? "active" : "standby"])
                if leader.bool("is_self") { rows.append(["Active Since", leader.string("active_time")]) }
            }
            UI.output(Columns.format(rows, header: ["Key", "Value"]))
        }
        if sealed { throw CLIFailure.silent(2) }
    }
}

/// Typed reads from a JSON object, with Vault's defaults for what is missing.
struct VaultJSON {
    let object: [String: JSONValue]
    init(_ value: JSONValue?) { object = value?.objectValue ?? [:] }
    func bool(_ key: String) -> Bool { object[key]?.boolValue ?? false }
    func string(_ key: String) -> String { object[key]?.stringValue ?? "" }
    func text(_ key: String) -> String { object[key].map(ValueText.text) ?? "" }
    var data: [String: JSONValue] { object["data"]?.objectValue ?? [:] }
}

import Foundation

/// The requests being served right now, for `sys/in-flight-req`: an operator's view of what a
/// busy or stuck server is doing. Sharded by request id, so recording one costs a lock no other
/// request is likely to want.
@_spi(Server) public final class InFlightRequests: Sendable {
    public struct Entry: Sendable {
        let start: Date
        let remoteIP: String?
        let remotePort: Int?
        let path: String
        let method: String
    }

    private let shards = Sharded<[String: Entry]>(count: 32) { [:] }

    public init() {}

    public func begin(id: String, remoteIP: String?, remotePort: Int?, path: String, method: String) {
        let entry = Entry(start: Date(), remoteIP: remoteIP, remotePort: remotePort, path: path, method: method)
        shards.withLock(id) { $0[id] = entry }
    }

    public func end(id: String) {
        shards.withLock(id) { _ = $0.removeValue(forKey: id) }
    }

    public var count: Int {
        var total = 0
        shards.forEach { total += $0.count }
        return total
    }

    /// Vault's shape: request id → start time, client address, path, method.
    var report: JSONValue {
        var all: [String: JSONValue] = [:]
        let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        shards.forEach { entries in
            for (id, entry) in entries {
                all[id] = [
                    "start_time": .string(entry.start.formatted(format)), "client_remote_address": .string("\(entry.remoteIP ?? ""):\(entry.remotePort ?? 0)"),
                    "request_path": .string(entry.path), "request_method": .string(entry.method), "client_id": "",
                ]
            }
        }
        return .object(all)
    }
}

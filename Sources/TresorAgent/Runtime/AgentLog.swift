import Foundation

/// The agent's log on standard error, in Vault Agent's shape (`[INFO]  agent: ...`). Never a
/// token or a secret in it.
public struct AgentLog: Sendable {
    public enum Level: Int, Sendable { case trace, debug, info, warn, error }
    let level: Level

    public init(level: String) {
        switch level.lowercased() {
        case "trace": self.level = .trace
        case "debug": self.level = .debug
        case "warn", "warning": self.level = .warn
        case "error", "err": self.level = .error
        default: self.level = .info
        }
    }

    func write(_ at: Level, _ label: String, _ message: String) {
        guard at.rawValue >= level.rawValue else { return }
        let names: [Level: String] = [.trace: "[TRACE]", .debug: "[DEBUG]", .info: "[INFO] ", .warn: "[WARN] ", .error: "[ERROR]"]
        let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: .current, formatOptions: [.withInternetDateTime, .withFractionalSeconds])
        FileHandle.standardError.write(Data("\(stamp) \(names[at]!) \(label): \(message)\n".utf8))
    }

    public func info(_ label: String, _ message: String) { write(.info, label, message) }
    public func warn(_ label: String, _ message: String) { write(.warn, label, message) }
    public func error(_ label: String, _ message: String) { write(.error, label, message) }
    public func debug(_ label: String, _ message: String) { write(.debug, label, message) }
}

/// A failure that ends the agent with a non-zero status and this reason on standard error.
public struct AgentFailure: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

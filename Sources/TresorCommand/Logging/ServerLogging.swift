import Foundation
import Logging

/// The server's logger, made from its settings: the level, the format and the optional file.
enum ServerLogging {
    static func logger(level: String, format: String, file: LogSink.FileSettings?) throws -> Logger {
        guard let chosen = ServerLogHandler.Format(rawValue: format.isEmpty ? "standard" : format.lowercased()) else {
            throw LogFileError(description: "log format \"\(format)\" is not supported (standard or json)")
        }
        let sink = try LogSink(file: file)
        let threshold = Logger.Level(rawValue: level == "warn" ? "warning" : level.lowercased()) ?? .info
        return Logger(label: "tresor") { label in
            ServerLogHandler(label: label, format: chosen, sink: sink, logLevel: threshold)
        }
    }

    /// `-log-format`, else `VAULT_LOG_FORMAT`, else the configuration's `log_format`.
    static func format(flag: String?, configured: String) -> String {
        if let flag, !flag.isEmpty { return flag }
        if let variable = getenv("VAULT_LOG_FORMAT").map({ String(cString: $0) }), !variable.isEmpty { return variable }
        return configured
    }
}

import Foundation
import Logging

/// The server's log lines, as Vault's `log_format` has them: "standard" (one readable line) or
/// "json" (one object per line, hclog's `@level`, `@message`, `@module` and `@timestamp` keys,
/// then the line's metadata), written to stderr and, with `log_file`, to a rotated file too.
struct ServerLogHandler: LogHandler {
    enum Format: String, Sendable {
        case standard, json
    }

    let label: String
    let format: Format
    let sink: LogSink
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let level = event.level, message = event.message, source = event.source
        var all = metadata
        if let explicit = event.metadata { all.merge(explicit) { $1 } }
        if let error = event.error { all["error"] = "\(error)" }
        let time = Date()
        let text: String
        switch format {
        case .standard:
            let pairs = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            text = "\(Self.timestamp(time)) \(level) \(label):\(pairs.isEmpty ? "" : " " + pairs) [\(source)] \(message)\n"
        case .json:
            var fields = ["@level": JSONText.quote(level.rawValue), "@message": JSONText.quote("\(message)"),
                          "@module": JSONText.quote(source), "@timestamp": JSONText.quote(Self.timestamp(time))]
            for (key, value) in all where fields[key] == nil { fields[key] = JSONText.value(value) }
            text = "{" + fields.sorted { $0.key < $1.key }.map { JSONText.quote($0.key) + ":" + $0.value }.joined(separator: ",") + "}\n"
        }
        sink.write(Array(text.utf8), at: time)
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

/// Just enough JSON for log lines: quoted strings and the shapes of swift-log's metadata.
enum JSONText {
    static func quote(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func value(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let string): return quote(string)
        case .stringConvertible(let convertible): return quote(convertible.description)
        case .array(let items): return "[" + items.map(Self.value).joined(separator: ",") + "]"
        case .dictionary(let entries):
            return "{" + entries.sorted { $0.key < $1.key }.map { quote($0.key) + ":" + Self.value($0.value) }.joined(separator: ",") + "}"
        }
    }
}

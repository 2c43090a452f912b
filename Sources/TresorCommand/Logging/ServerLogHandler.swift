import Foundation
import Logging
import TresorCore

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
        var line: [UInt8]
        switch format {
        case .standard:
            let pairs = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            line = Array("\(Self.timestamp(time)) \(level) \(label):\(pairs.isEmpty ? "" : " " + pairs) [\(source)] \(message)".utf8)
        case .json:
            var fields: [String: JSONValue] = ["@level": .string(level.rawValue), "@message": .string("\(message)"),
                                               "@module": .string(source), "@timestamp": .string(Self.timestamp(time))]
            for (key, value) in all where fields[key] == nil { fields[key] = value.json }
            line = JSONWriter.encode(.object(fields))
        }
        line.append(0x0a)
        sink.write(line, at: time)
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

extension Logger.MetadataValue {
    /// Metadata as JSON: strings stay strings, lists and maps keep their shape.
    var json: JSONValue {
        switch self {
        case .string(let string): return .string(string)
        case .stringConvertible(let convertible): return .string(convertible.description)
        case .array(let items): return .array(items.map(\.json))
        case .dictionary(let entries): return .object(entries.mapValues(\.json))
        }
    }
}

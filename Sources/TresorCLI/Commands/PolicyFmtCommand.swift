import ArgumentParser
import Foundation
import HCL
import TresorJSON

struct PolicyFmt: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fmt", abstract: "Rewrite a policy file in the canonical layout.",
        discussion: "The file is parsed first; nothing is written if it is not a valid policy.\n\nExample:\n  tresor policy fmt my-policy.hcl")
    @Argument var file: String

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            UI.error("Error opening policy file: open \(file): no such file or directory")
            throw ExitCode(2)
        }
        do {
            let formatted = try PolicyFormatter.format(String(decoding: data, as: UTF8.self))
            try Data(formatted.utf8).write(to: URL(fileURLWithPath: file))
            UI.output("Success! Formatted policy: \(file)")
        } catch let error as HCLError {
            UI.error("Error parsing policy: \(error)")
            throw ExitCode(1)
        }
    }
}

/// The canonical text of a policy: one block per path, fields aligned, two-space indents.
enum PolicyFormatter {
    static func format(_ text: String) throws -> String {
        let document = try HCL.parse(text)
        var blocks: [String] = []
        for (key, value) in document.entries {
            guard key == "path", case .object(let byPath) = value else {
                blocks.append("\(key) = \(render(value, indent: ""))")
                continue
            }
            for (pattern, body) in byPath.entries {
                guard case .object(let fields) = body else { continue }
                let width = fields.entries.map(\.key.count).max() ?? 0
                var lines = ["path \(quote(pattern)) {"]
                for (name, fieldValue) in fields.entries {
                    lines.append("  " + name + String(repeating: " ", count: width - name.count) + " = " + render(fieldValue, indent: "  "))
                }
                lines.append("}")
                blocks.append(lines.joined(separator: "\n"))
            }
        }
        return blocks.joined(separator: "\n\n") + "\n"
    }

    static func render(_ value: HCLValue, indent: String) -> String {
        switch value {
        case .string(let s): return quote(s)
        case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .list(let items): return "[" + items.map { render($0, indent: indent) }.joined(separator: ", ") + "]"
        case .object(let object):
            if object.entries.isEmpty { return "{}" }
            let inner = object.entries.map { indent + "  " + quote($0.key) + " = " + render($0.value, indent: indent + "  ") }
            return "{\n" + inner.joined(separator: "\n") + "\n" + indent + "}"
        }
    }

    static func quote(_ text: String) -> String {
        String(decoding: JSONWriter.encode(.string(text)), as: UTF8.self)
    }
}

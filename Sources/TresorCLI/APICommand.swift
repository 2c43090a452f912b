import ArgumentParser
import Foundation
import TresorJSON

/// A command that talks to the server. `run()` resolves the context and turns failures into
/// Vault's stderr text and exit codes (1 for local mistakes, 2 for server errors).
protocol APICommand: AsyncParsableCommand {
    var global: GlobalOptions { get }
    func execute(_ ctx: CLIContext) async throws
}

extension APICommand {
    public func run() async throws {
        do {
            try await execute(try CLIContext(global))
        } catch let failure as CLIFailure {
            if let message = failure.message { UI.error(message) }
            throw ExitCode(failure.exitCode)
        }
    }
}

/// Parses `key=value` arguments the way the Vault CLI does: `key=@file` reads a file, a lone
/// `-` reads a JSON object from stdin.
enum KeyValueArguments {
    static func parse(_ arguments: [String], stdin: () -> Data = { FileHandle.standardInput.readDataToEndOfFile() }) throws -> [String: JSONValue] {
        var data: [String: JSONValue] = [:]
        for argument in arguments {
            if argument == "-" {
                let bytes = stdin()
                guard case .object(let object)? = try? JSONValue.parse(Array(bytes)) else {
                    throw CLIFailure.usage("Failed to parse K=V data: stdin must hold a JSON object")
                }
                data.merge(object) { _, new in new }
                continue
            }
            guard let eq = argument.firstIndex(of: "="), eq != argument.startIndex else {
                throw CLIFailure.usage("Failed to parse K=V data: invalid key/value pair \"\(argument)\": format must be key=value")
            }
            let key = String(argument[..<eq])
            var value = String(argument[argument.index(after: eq)...])
            if value.hasPrefix("@") {
                let path = String(value.dropFirst())
                guard let contents = FileManager.default.contents(atPath: path) else {
                    throw CLIFailure.usage("Failed to parse K=V data: invalid key/value pair \"\(argument)\": error reading file: open \(path): no such file or directory")
                }
                value = String(decoding: contents, as: UTF8.self)
            } else if value == "-" {
                value = String(decoding: stdin(), as: UTF8.self)
            }
            data[key] = .string(value)
        }
        return data
    }
}

/// Paths as the CLI takes them: no leading slash, no "v1/".
func sanitizePath(_ path: String) -> String {
    var p = path.trimmingCharacters(in: .whitespaces)
    while p.hasPrefix("/") { p.removeFirst() }
    if p.hasPrefix("v1/") { p.removeFirst(3) }
    return p
}

func expectArguments(_ arguments: [String], _ count: Int) throws {
    if arguments.count < count { throw CLIFailure.usage("Not enough arguments (expected \(count), got \(arguments.count))") }
    if arguments.count > count { throw CLIFailure.usage("Too many arguments (expected \(count), got \(arguments.count))") }
}

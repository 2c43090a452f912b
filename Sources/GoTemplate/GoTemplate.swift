/// A small implementation of Go's text/template: literal text with `{{ ... }}` actions holding
/// pipelines (`.Field`, `"strings"`, numbers, function calls with arguments, `( ... )` groups and
/// `|` to pass a value on as the last argument). Enough for Vault's username templates; there is
/// no agent yet (issue 19) to render secrets with it. Parsing is bounded; hostile templates get
/// errors.
public struct GoTemplate: Sendable {
    public struct Error: Swift.Error, Equatable, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { "template: \(message)" }
        public init(_ message: String) { self.message = message }
    }

    public enum Value: Sendable, Equatable {
        case string(String)
        case int(Int)

        public var text: String {
            switch self {
            case .string(let s): return s
            case .int(let i): return String(i)
            }
        }
    }

    public typealias Function = @Sendable ([Value]) throws -> Value

    indirect enum Node: Sendable, Equatable {
        case text(String)
        case action([Command])
    }

    /// One stage of a pipeline: a function with arguments, or a single operand.
    indirect enum Command: Sendable, Equatable {
        case call(String, [Operand])
        case operand(Operand)
    }

    indirect enum Operand: Sendable, Equatable {
        case field(String)
        case string(String)
        case int(Int)
        case group([Command])
        case function(String)
    }

    let nodes: [Node]

    public static let maxLength = 64 * 1024
    static let maxDepth = 32

    public init(_ source: String) throws {
        guard source.utf8.count <= Self.maxLength else { throw Error("template is longer than \(Self.maxLength) bytes") }
        var nodes: [Node] = []
        var rest = Substring(source)
        while let open = rest.firstRange(of: "{{") {
            if open.lowerBound > rest.startIndex { nodes.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else { throw Error("unclosed action") }
            var inner = rest[open.upperBound..<close.lowerBound]
            // "{{-" and "-}}" trim surrounding whitespace in Go; accept and treat as plain delimiters.
            if inner.hasPrefix("-") { inner = inner.dropFirst() }
            if inner.hasSuffix("-") { inner = inner.dropLast() }
            var lexer = Lexer(Array(String(inner).unicodeScalars))
            let pipeline = try lexer.pipeline(depth: 0)
            guard lexer.atEnd else { throw Error("unexpected \"\(lexer.remaining)\" in action") }
            guard !pipeline.isEmpty else { throw Error("missing value for command") }
            nodes.append(.action(pipeline))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { nodes.append(.text(String(rest))) }
        self.nodes = nodes
    }

    /// Renders with `fields` for `.Name` lookups and `functions` by name.
    public func render(fields: [String: Value], functions: [String: Function]) throws -> String {
        var out = ""
        for node in nodes {
            switch node {
            case .text(let text): out += text
            case .action(let pipeline): out += try evaluate(pipeline, fields, functions).text
            }
        }
        return out
    }

    func evaluate(_ pipeline: [Command], _ fields: [String: Value], _ functions: [String: Function]) throws -> Value {
        var carried: Value?
        for command in pipeline {
            switch command {
            case .operand(let operand):
                guard carried == nil else { throw Error("a value can only be piped into a function") }
                carried = try value(operand, fields, functions)
            case .call(let name, let arguments):
                guard let function = functions[name] else { throw Error("function \"\(name)\" not defined") }
                var values = try arguments.map { try value($0, fields, functions) }
                if let carried { values.append(carried) }
                carried = try function(values)
            }
        }
        guard let carried else { throw Error("empty pipeline") }
        return carried
    }

    func value(_ operand: Operand, _ fields: [String: Value], _ functions: [String: Function]) throws -> Value {
        switch operand {
        case .string(let s): return .string(s)
        case .int(let i): return .int(i)
        case .field(let name):
            guard let value = fields[name] else { throw Error("can't evaluate field \(name)") }
            return value
        case .group(let pipeline): return try evaluate(pipeline, fields, functions)
        case .function(let name):
            guard let function = functions[name] else { throw Error("function \"\(name)\" not defined") }
            return try function([])
        }
    }
}

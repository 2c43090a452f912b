/// Go's text/template, as consul-template and Vault use it: text with `{{ }}` actions holding
/// pipelines, `if`/`else if`/`else`, `with`, `range` (with `break` and `continue`), variables,
/// `-` trimming, comments, custom delimiters, and Go's built-in functions. Data are
/// `TemplateValue`s; functions are given by the caller. Parsing and execution are bounded:
/// hostile templates and data get errors, never a crash or unbounded output.
public struct GoTemplate: Sendable {
    public typealias Value = TemplateValue
    public typealias Function = @Sendable ([TemplateValue]) throws -> TemplateValue

    public struct Error: Swift.Error, Equatable, CustomStringConvertible, Sendable {
        public let message: String
        /// Where in the template, while the error travels up from the lexer or parser.
        let offset: Int?
        public var description: String { "template: \(message)" }
        public init(_ message: String) {
            self.message = message
            self.offset = nil
        }
        init(_ message: String, offset: Int?) {
            self.message = message
            self.offset = offset
        }
    }

    public struct Options: Sendable {
        /// Go's `missingkey=error`: a map without the key is an error, not `<no value>`.
        public var missingKeyIsError: Bool
        /// The most bytes a render may produce.
        public var maxOutput: Int
        /// The most evaluation steps (nodes, commands, iterations) a render may take.
        public var maxSteps: Int

        public init(missingKeyIsError: Bool = false, maxOutput: Int = 16 * 1024 * 1024, maxSteps: Int = 5_000_000) {
            self.missingKeyIsError = missingKeyIsError
            self.maxOutput = maxOutput
            self.maxSteps = maxSteps
        }
    }

    public static let maxLength = 64 * 1024

    public let name: String
    let nodes: [Node]
    let source: [UInt8]

    public init(_ source: String, name: String = "template", leftDelimiter: String = "{{", rightDelimiter: String = "}}",
                maxLength: Int = GoTemplate.maxLength) throws {
        self.name = name
        self.source = Array(source.utf8)
        guard self.source.count <= maxLength else { throw Error("\(name): template is longer than \(maxLength) bytes") }
        guard !leftDelimiter.isEmpty, !rightDelimiter.isEmpty else { throw Error("\(name): delimiters must not be empty") }
        do {
            var lexer = Lexer(source, leftDelimiter: leftDelimiter, rightDelimiter: rightDelimiter)
            var parser = Parser(try lexer.run())
            nodes = try parser.parse()
        } catch let error as Error {
            throw Error("\(name):\(Self.line(of: error.offset ?? 0, in: self.source)): \(error.message)")
        }
    }

    /// Checks that every function the template calls exists, as Go does when it parses.
    public func checkFunctions(_ names: Set<String>) throws {
        func visit(_ pipeline: Pipeline) throws {
            for command in pipeline.commands {
                for argument in command.arguments {
                    switch argument {
                    case .function(let function):
                        guard names.contains(function) || Builtins.names.contains(function) else {
                            throw Error("\(name):\(Self.line(of: command.offset, in: source)): function \"\(function)\" not defined")
                        }
                    case .pipeline(let inner, _): try visit(inner)
                    default: break
                    }
                }
            }
        }
        func walk(_ list: [Node]) throws {
            for node in list {
                switch node {
                case .action(let pipeline): try visit(pipeline)
                case .control(_, let pipeline, let body, let alternative):
                    try visit(pipeline)
                    try walk(body)
                    try walk(alternative ?? [])
                default: break
                }
            }
        }
        try walk(nodes)
    }

    /// Renders with `data` as dot.
    public func render(_ data: TemplateValue, functions: [String: Function], options: Options = Options()) throws -> String {
        var executor = Executor(template: self, functions: functions, options: options)
        try executor.run(nodes, dot: data)
        return String(decoding: executor.output, as: UTF8.self)
    }

    /// Renders with `fields` for `.Name` lookups, a missing one being an error (Vault's
    /// username templates).
    public func render(fields: [String: Value], functions: [String: Function]) throws -> String {
        try render(.map(fields), functions: functions, options: Options(missingKeyIsError: true))
    }

    static func line(of offset: Int, in source: [UInt8]) -> Int {
        1 + source[..<min(offset, source.count)].lazy.filter { $0 == 0x0A }.count
    }

    /// Go's "name:line:column" for execution errors; the column counts bytes from 0.
    func location(_ offset: Int) -> String {
        let clamped = min(offset, source.count)
        let lineStart = source[..<clamped].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        return "\(name):\(Self.line(of: clamped, in: source)):\(clamped - lineStart)"
    }
}

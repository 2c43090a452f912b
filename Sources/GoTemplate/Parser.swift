/// Builds the tree from the lexer's tokens, with Go's rules and messages.
struct Parser {
    let tokens: [Token]
    var position = 0
    /// Variables in scope, to refuse undefined ones at parse time as Go does.
    var variables: [String] = ["$"]
    var rangeDepth = 0
    var depth = 0
    static let maxDepth = 100

    init(_ tokens: [Token]) { self.tokens = tokens }

    var peek: Token { tokens[position] }

    mutating func next() -> Token {
        defer { if position < tokens.count - 1 { position += 1 } }
        return tokens[position]
    }

    func error(_ message: String, _ token: Token) -> GoTemplate.Error { GoTemplate.Error(message, offset: token.offset) }

    mutating func parse() throws -> [Node] {
        let (nodes, end) = try list()
        if let end { throw error("unexpected {{\(end)}}", tokens[position]) }
        return nodes
    }

    /// Nodes up to `{{end}}` or `{{else}}` (returned as the terminator) or the end of input.
    mutating func list() throws -> ([Node], String?) {
        depth += 1
        defer { depth -= 1 }
        guard depth < Self.maxDepth else { throw error("template nests too deeply", peek) }
        var nodes: [Node] = []
        while true {
            let token = next()
            switch token.kind {
            case .eof:
                return (nodes, nil)
            case .text:
                nodes.append(.text(token.text))
            case .leftDelim:
                if peek.kind == .keyword {
                    let keyword = next()
                    switch keyword.text {
                    case "end":
                        try expectRight("end")
                        return (nodes, "end")
                    case "else":
                        return (nodes, "else")
                    case "if", "with", "range":
                        nodes.append(try control(Control(rawValue: keyword.text)!, keyword))
                    case "break", "continue":
                        guard rangeDepth > 0 else { throw error("{{\(keyword.text)}} outside {{range}}", keyword) }
                        try expectRight(keyword.text)
                        nodes.append(keyword.text == "break" ? .breakLoop(keyword.offset) : .continueLoop(keyword.offset))
                    default:
                        throw error("{{\(keyword.text)}} is not supported in these templates", keyword)
                    }
                } else {
                    // Declarations in a plain action last to the end of the enclosing list.
                    nodes.append(.action(try pipeline(context: "command", end: .rightDelim)))
                }
            default:
                throw error("unexpected \(describe(token))", token)
            }
        }
    }

    mutating func expectRight(_ context: String) throws {
        let token = next()
        guard token.kind == .rightDelim else { throw error("unexpected \(describe(token)) in \(context)", token) }
    }

    /// `if`/`with`/`range` pipeline, list, optional else (or else-if chain), end.
    mutating func control(_ kind: Control, _ keyword: Token) throws -> Node {
        let mark = variables.count
        defer { variables.removeSubrange(mark...) }
        let pipe = try pipeline(context: kind.rawValue, end: .rightDelim)
        if kind == .rangeControl { rangeDepth += 1 }
        let (body, terminator) = try list()
        if kind == .rangeControl { rangeDepth -= 1 }
        var elseList: [Node]?
        switch terminator {
        case "end":
            break
        case "else":
            // `{{else if ...}}` and `{{else with ...}}` chain: the nested control shares the end.
            if peek.kind == .keyword, peek.text == "if" || peek.text == "with" {
                let chained = next()
                elseList = [try control(Control(rawValue: chained.text)!, chained)]
            } else {
                try expectRight("else")
                let (alternative, closing) = try list()
                guard closing == "end" else {
                    throw error(closing == nil ? "unexpected EOF" : "expected end; found {{else}}", tokens[position])
                }
                elseList = alternative
            }
        default:
            throw error("unexpected EOF", keyword)
        }
        return .control(kind, pipe, body, elseList)
    }

    /// An optional declaration, then commands separated by `|`, up to `end`.
    mutating func pipeline(context: String, end: Token.Kind) throws -> Pipeline {
        var pipe = Pipeline(offset: peek.offset)
        if peek.kind == .variable {
            let save = position
            let first = next()
            if peek.kind == .declare || peek.kind == .assign {
                pipe.isAssignment = next().kind == .assign
                pipe.declarations = [first.text]
            } else if peek.kind == .comma, context == "range" {
                _ = next()
                let second = next()
                guard second.kind == .variable, peek.kind == .declare || peek.kind == .assign else {
                    throw error("range can only initialize variables", second)
                }
                pipe.isAssignment = next().kind == .assign
                pipe.declarations = [first.text, second.text]
            } else {
                position = save
            }
            for name in pipe.declarations {
                if pipe.isAssignment {
                    guard variables.contains(name) else { throw error("undefined variable \"\(name)\"", first) }
                } else {
                    variables.append(name)
                }
            }
        }
        while true {
            let token = peek
            if token.kind == end {
                _ = next()
                break
            }
            switch token.kind {
            case .pipe:
                guard !pipe.commands.isEmpty else { throw error("missing command", token) }
                _ = next()
                let command = try self.command(end: end)
                guard command.arguments.first?.isFunction == true else {
                    throw error("non executable command in pipeline stage \(pipe.commands.count + 1)", token)
                }
                pipe.commands.append(command)
            case .eof, .rightDelim, .rightParen:
                throw error(token.kind == .eof ? "unclosed action" : "unexpected \(describe(token)) in \(context)", token)
            default:
                guard pipe.commands.isEmpty else { throw error("unexpected \(describe(token)) in \(context)", token) }
                pipe.commands.append(try command(end: end))
            }
        }
        guard !pipe.commands.isEmpty else { throw error("missing value for \(context)", tokens[max(position - 1, 0)]) }
        return pipe
    }

    /// Operands up to `|` or the pipeline's end.
    mutating func command(end: Token.Kind) throws -> Command {
        var command = Command(arguments: [], offset: peek.offset)
        while true {
            let token = peek
            if token.kind == .pipe || token.kind == end { break }
            if !command.arguments.isEmpty && !token.spaced && token.kind != .field {
                throw error("missing space?", token)
            }
            command.arguments.append(try operand())
        }
        guard !command.arguments.isEmpty else { throw error("empty command", peek) }
        return command
    }

    /// A term and the fields chained onto it without spaces.
    mutating func operand() throws -> Argument {
        let token = next()
        var argument: Argument
        switch token.kind {
        case .dot: argument = .dot
        case .field: argument = .field([token.text])
        case .variable:
            guard variables.contains(token.text) else { throw error("undefined variable \"\(token.text)\"", token) }
            argument = .variable(token.text, [])
        case .identifier: argument = .function(token.text)
        case .string, .rawString: argument = .literal(.string(token.text))
        case .char: argument = .literal(.int(Int(token.text) ?? 0))
        case .bool: argument = .literal(.bool(token.text == "true"))
        case .null: argument = .null
        case .number: argument = .literal(try Self.number(token.text, token))
        case .leftParen:
            depth += 1
            defer { depth -= 1 }
            guard depth < Self.maxDepth else { throw error("template nests too deeply", token) }
            argument = .pipeline(try pipeline(context: "parenthesized pipeline", end: .rightParen), [])
        default:
            throw error("unexpected \(describe(token)) in operand", token)
        }
        while peek.kind == .field && !peek.spaced {
            let field = next()
            switch argument {
            case .field(let names): argument = .field(names + [field.text])
            case .variable(let name, let names): argument = .variable(name, names + [field.text])
            case .pipeline(let pipe, let names): argument = .pipeline(pipe, names + [field.text])
            case .dot: argument = .field([field.text])
            default: throw error("unexpected . after term \"\(describe(token))\"", field)
            }
        }
        return argument
    }

    /// Go's number literals: decimal, hex, octal and binary integers (underscores allowed) and floats.
    static func number(_ text: String, _ token: Token) throws -> TemplateValue {
        var body = Substring(text.replacingOccurrences(of: "_", with: ""))
        var negative = false
        if body.hasPrefix("-") || body.hasPrefix("+") {
            negative = body.hasPrefix("-")
            body = body.dropFirst()
        }
        let lower = body.lowercased()
        var radix = 10
        var digits = Substring(lower)
        if lower.hasPrefix("0x") { radix = 16; digits = digits.dropFirst(2) }
        else if lower.hasPrefix("0o") { radix = 8; digits = digits.dropFirst(2) }
        else if lower.hasPrefix("0b") { radix = 2; digits = digits.dropFirst(2) }
        else if lower.count > 1, lower.hasPrefix("0"), lower.allSatisfy({ $0.isNumber }) { radix = 8; digits = digits.dropFirst() }
        if let value = Int(digits, radix: radix) { return .int(negative ? -value : value) }
        if radix != 10 || !lower.contains(where: { $0 == "." || $0 == "e" }) {
            // Looks like an integer but does not fit one: Go refuses it rather than round it.
            throw GoTemplate.Error("integer overflow: \"\(text)\"", offset: token.offset)
        }
        if radix == 10, lower.allSatisfy({ $0.isNumber || $0 == "." || $0 == "e" || $0 == "+" || $0 == "-" }),
           lower.first != "e", let value = Double(lower), value.isFinite {
            return .double(negative ? -value : value)
        }
        throw GoTemplate.Error("illegal number syntax: \"\(text)\"", offset: token.offset)
    }

    func describe(_ token: Token) -> String {
        switch token.kind {
        case .eof: return "EOF"
        case .rightDelim: return "\"}}\""
        case .leftDelim: return "\"{{\""
        case .string: return "\"\\\"\(token.text)\\\"\""
        default: return "<\(token.text)>"
        }
    }
}

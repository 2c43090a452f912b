/// Parser over `HCLLexer` tokens with one token of lookahead.
///
/// It keeps its own stack of open objects and lists instead of recursing:
/// unoptimised builds spend several kilobytes of machine stack per recursive
/// level, enough for a hundred nested brackets to overflow a 512 KB thread.
/// Nesting is still capped so that values handed back stay cheap to compare
/// and destroy, both of which recurse.
struct HCLParser {
    static let maxDepth = 100

    private struct Frame {
        enum Kind { case object, list }

        let kind: Kind
        /// The '{' or '[' that opened the frame; nil for the top level of an HCL document.
        let opener: HCLToken?
        var entries: [(key: String, value: HCLValue)] = []
        var items: [HCLValue] = []
        /// The entry whose value is being parsed, with any block labels to wrap it in.
        var pendingKey = ""
        var pendingLabels: [String] = []
    }

    private var lexer: HCLLexer
    private var token: HCLToken
    private var stack: [Frame] = []
    private var depth = 0

    init(_ text: String) throws(HCLError) {
        lexer = HCLLexer(text)
        token = try lexer.nextToken()
    }

    mutating func parseDocument() throws(HCLError) -> HCLObject {
        // An HCL body can never start with '{', so this is unambiguously a JSON document.
        let isJSON = token.kind == .leftBrace
        if isJSON {
            try open(.object)
        } else {
            stack.append(Frame(kind: .object, opener: nil))
        }
        while true {
            guard let value = try step() else { continue }
            if !stack.isEmpty {
                try attach(value)
                continue
            }
            if isJSON && token.kind != .endOfInput {
                throw error(at: token, "expected end of input after the top-level object, found \(token.description)")
            }
            guard case .object(let document) = value else {
                preconditionFailure("the outermost frame is always an object")
            }
            return document
        }
    }

    /// Consumes tokens until a value is complete (returned) or a new frame is
    /// opened (nil).
    private mutating func step() throws(HCLError) -> HCLValue? {
        // Only the small fields are read: copying the whole frame would share its
        // arrays and make the next append copy them.
        let kind = stack[stack.count - 1].kind
        let opener = stack[stack.count - 1].opener
        switch (kind, token.kind) {
        case (.list, .rightBracket):
            try advance()
            return close()
        case (.object, .rightBrace):
            guard opener != nil else {
                throw error(at: token, "unexpected '}' without a matching '{'")
            }
            try advance()
            return close()
        case (_, .endOfInput):
            guard let opener else {
                return close()
            }
            throw error(at: opener, "unclosed \(kind == .list ? "'['" : "'{'"): reached end of input")
        case (.list, _):
            return try beginValue()
        case (.object, _):
            return try beginEntry()
        }
    }

    /// Parses the head of `key = value`, `key: value`, `key { … }` or a
    /// labelled block `key "l1" "l2" { … }` (also `key "l1" = { … }`), then
    /// starts its value. Labels later become nested single-entry objects, the
    /// same shape the JSON form spells out.
    private mutating func beginEntry() throws(HCLError) -> HCLValue? {
        guard let key = token.kind.keyText else {
            throw error(at: token, "expected a key, found \(token.description)")
        }
        try advance()
        var labels: [String] = []
        while let label = token.kind.keyText {
            guard depth + labels.count < Self.maxDepth else {
                throw tooDeep()
            }
            labels.append(label)
            try advance()
        }
        switch token.kind {
        case .equals, .colon:
            try advance()
            if !labels.isEmpty && token.kind != .leftBrace {
                throw error(at: token, "expected '{' to open block \(HCLToken.quote(key)), found \(token.description)")
            }
        case .leftBrace:
            break
        default:
            throw error(at: token, "expected '=' or '{' after key \(HCLToken.quote(key)), found \(token.description)")
        }
        stack[stack.count - 1].pendingKey = key
        stack[stack.count - 1].pendingLabels = labels
        depth += labels.count
        return try beginValue()
    }

    private mutating func beginValue() throws(HCLError) -> HCLValue? {
        let value: HCLValue
        switch token.kind {
        case .string(let text):
            value = .string(text)
        case .number(let number):
            value = .number(number)
        case .identifier("true"):
            value = .bool(true)
        case .identifier("false"):
            value = .bool(false)
        case .identifier("null"):
            value = .null
        case .identifier(let name):
            throw error(at: token, "unknown identifier \(HCLToken.quote(name)); string values must be quoted")
        case .leftBracket:
            try open(.list)
            return nil
        case .leftBrace:
            try open(.object)
            return nil
        default:
            throw error(at: token, "expected a value, found \(token.description)")
        }
        try advance()
        return value
    }

    /// Stores a finished value in the innermost open frame and consumes the separator after it.
    private mutating func attach(_ value: HCLValue) throws(HCLError) {
        let top = stack.count - 1
        switch stack[top].kind {
        case .list:
            stack[top].items.append(value)
            switch token.kind {
            case .comma:
                try advance()
            case .rightBracket, .endOfInput:
                break
            default:
                throw error(at: token, "expected ',' or ']' after a list element, found \(token.description)")
            }
        case .object:
            var wrapped = value
            for label in stack[top].pendingLabels.reversed() {
                wrapped = .object(HCLObject(entries: [(key: label, value: wrapped)]))
            }
            depth -= stack[top].pendingLabels.count
            stack[top].pendingLabels = []
            stack[top].entries.append((key: stack[top].pendingKey, value: wrapped))
            // Separators are optional, as in Vault's HCL: `{ a = 1 b = 2 }` and `{ "a": 1, "b": 2 }` both parse.
            if token.kind == .comma {
                try advance()
            }
        }
    }

    /// Consumes an opening '{' or '['. Depth only grows once the token is
    /// consumed, so a lexer error here cannot leave the counter unbalanced.
    private mutating func open(_ kind: Frame.Kind) throws(HCLError) {
        guard depth < Self.maxDepth else {
            throw tooDeep()
        }
        let opener = try advance()
        depth += 1
        stack.append(Frame(kind: kind, opener: opener))
    }

    private mutating func close() -> HCLValue {
        let frame = stack.removeLast()
        if frame.opener != nil {
            depth -= 1
        }
        switch frame.kind {
        case .list: return .list(frame.items)
        case .object: return .object(HCLObject(entries: frame.entries))
        }
    }

    @discardableResult
    private mutating func advance() throws(HCLError) -> HCLToken {
        let consumed = token
        token = try lexer.nextToken()
        return consumed
    }

    private func error(at token: HCLToken, _ message: String) -> HCLError {
        HCLError(line: token.line, column: token.column, message: message)
    }

    private func tooDeep() -> HCLError {
        error(at: token, "nesting too deep: more than \(Self.maxDepth) levels")
    }
}

extension HCLTokenKind {
    /// Keys and block labels may be bare identifiers or quoted strings.
    fileprivate var keyText: String? {
        switch self {
        case .identifier(let text), .string(let text): text
        default: nil
        }
    }
}

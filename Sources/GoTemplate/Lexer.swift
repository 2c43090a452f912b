/// Splits a template into text and the tokens of its actions, as Go's text/template lexer does:
/// configurable delimiters, `{{-`/`-}}` trim markers, `{{/* comments */}}`.
struct Token: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case text, leftDelim, rightDelim
        case identifier, keyword, field, variable, dot
        case string, rawString, char, number, bool, null
        case pipe, leftParen, rightParen, declare, assign, comma
        case eof
    }

    let kind: Kind
    /// The token's source text (for text: the text after trimming).
    let text: String
    /// Byte offset in the template, for line and column in messages.
    let offset: Int
    /// Whether whitespace separates it from the token before (fields chain only without).
    var spaced = false
}

struct Lexer {
    static let keywords: Set<String> = ["if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"]

    let source: [UInt8]
    let left: [UInt8]
    let right: [UInt8]
    var index = 0
    var tokens: [Token] = []
    /// Set when the last action ended in ` -}}`: the next text loses its leading whitespace.
    var trimNext = false

    init(_ source: String, leftDelimiter: String, rightDelimiter: String) {
        self.source = Array(source.utf8)
        self.left = Array(leftDelimiter.utf8)
        self.right = Array(rightDelimiter.utf8)
    }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
    static func isAlnum(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte >= 0x80
    }

    func hasPrefix(_ bytes: [UInt8], at position: Int) -> Bool {
        guard position + bytes.count <= source.count else { return false }
        for (offset, byte) in bytes.enumerated() where source[position + offset] != byte { return false }
        return true
    }

    func string(_ from: Int, _ to: Int) -> String { String(decoding: source[from..<to], as: UTF8.self) }

    func error(_ message: String, at offset: Int) -> GoTemplate.Error {
        GoTemplate.Error(message, offset: offset)
    }

    mutating func run() throws -> [Token] {
        while index < source.count {
            let start = index
            var next = index
            while next < source.count && !hasPrefix(left, at: next) { next += 1 }
            var textEnd = next
            var trimmedLeft = false
            if next < source.count, hasPrefix([0x2D], at: next + left.count), next + left.count + 1 < source.count,
               Self.isSpace(source[next + left.count + 1]) {
                trimmedLeft = true
                while textEnd > start && Self.isSpace(source[textEnd - 1]) { textEnd -= 1 }
            }
            var textStart = start
            if trimNext {
                while textStart < textEnd && Self.isSpace(source[textStart]) { textStart += 1 }
                trimNext = false
            }
            if textStart < textEnd { tokens.append(Token(kind: .text, text: string(textStart, textEnd), offset: textStart)) }
            guard next < source.count else { break }
            index = next + left.count + (trimmedLeft ? 2 : 0)
            try action(openedAt: next)
        }
        tokens.append(Token(kind: .eof, text: "", offset: source.count))
        return tokens
    }

    /// Whether a right delimiter (with or without its trim marker) starts here; sets trimNext.
    mutating func rightDelimiter() -> Int? {
        if index + 2 + right.count <= source.count, Self.isSpace(source[index]), source[index + 1] == 0x2D,
           hasPrefix(right, at: index + 2) {
            trimNext = true
            return index + 2 + right.count
        }
        if hasPrefix(right, at: index) { return index + right.count }
        return nil
    }

    mutating func action(openedAt open: Int) throws {
        // A comment fills the whole action.
        if hasPrefix([0x2F, 0x2A], at: index) {
            var close = index + 2
            while close + 1 < source.count && !(source[close] == 0x2A && source[close + 1] == 0x2F) { close += 1 }
            guard close + 1 < source.count else { throw error("unclosed comment", at: open) }
            index = close + 2
            guard let end = rightDelimiter() else { throw error("comment ends before closing delimiter", at: open) }
            index = end
            return
        }
        tokens.append(Token(kind: .leftDelim, text: "", offset: open))
        var parens = 0
        var spaced = false
        while true {
            guard index < source.count else { throw error("unclosed action", at: open) }
            if let end = rightDelimiter() {
                if parens > 0 { throw error("unclosed left paren", at: index) }
                tokens.append(Token(kind: .rightDelim, text: "", offset: index))
                index = end
                return
            }
            let byte = source[index]
            let start = index
            if Self.isSpace(byte) {
                // Newlines count as space inside actions, as since Go 1.16.
                index += 1
                spaced = true
                continue
            }
            func add(_ kind: Token.Kind, _ text: String) {
                tokens.append(Token(kind: kind, text: text, offset: start, spaced: spaced))
                spaced = false
            }
            switch byte {
            case 0x7C: index += 1; add(.pipe, "|")
            case 0x28: index += 1; parens += 1; add(.leftParen, "(")
            case 0x29:
                guard parens > 0 else { throw error("unexpected right paren", at: start) }
                index += 1; parens -= 1; add(.rightParen, ")")
            case 0x2C: index += 1; add(.comma, ",")
            case 0x3A:
                guard index + 1 < source.count, source[index + 1] == 0x3D else { throw error("expected :=", at: start) }
                index += 2; add(.declare, ":=")
            case 0x3D: index += 1; add(.assign, "=")
            case 0x22: add(.string, try quoted(open: open))
            case 0x60:
                var close = index + 1
                while close < source.count && source[close] != 0x60 { close += 1 }
                guard close < source.count else { throw error("unterminated raw quoted string", at: start) }
                index = close + 1
                add(.rawString, string(start + 1, close))
            case 0x27: add(.char, try charConstant())
            case 0x24:
                index += 1
                while index < source.count && Self.isAlnum(source[index]) { index += 1 }
                add(.variable, string(start, index))
            case 0x2E:
                if index + 1 < source.count, source[index + 1] >= 0x30 && source[index + 1] <= 0x39 {
                    add(.number, try number())
                } else if index + 1 < source.count, Self.isAlnum(source[index + 1]) {
                    index += 1
                    while index < source.count && Self.isAlnum(source[index]) { index += 1 }
                    add(.field, string(start + 1, index))
                } else {
                    index += 1
                    add(.dot, ".")
                }
            case 0x2B, 0x2D, 0x30...0x39:
                if byte == 0x2B || byte == 0x2D {
                    guard index + 1 < source.count, (source[index + 1] >= 0x30 && source[index + 1] <= 0x39) || source[index + 1] == 0x2E else {
                        throw error("bad character \(quote(byte))", at: start)
                    }
                }
                add(.number, try number())
            default:
                guard Self.isAlnum(byte) else { throw error("bad character \(quote(byte))", at: start) }
                while index < source.count && Self.isAlnum(source[index]) { index += 1 }
                let word = string(start, index)
                switch word {
                case "true", "false": add(.bool, word)
                case "nil": add(.null, word)
                default: add(Self.keywords.contains(word) ? .keyword : .identifier, word)
                }
            }
        }
    }

    func quote(_ byte: UInt8) -> String { "U+\(String(byte, radix: 16, uppercase: true))" + (byte >= 0x20 && byte < 0x7F ? " '\(Character(Unicode.Scalar(byte)))'" : "") }

    /// A number's text, with Go's syntax checked when it is parsed.
    mutating func number() throws -> String {
        let start = index
        if source[index] == 0x2B || source[index] == 0x2D { index += 1 }
        while index < source.count {
            let byte = source[index]
            if Self.isAlnum(byte) || byte == 0x2E { index += 1; continue }
            if (byte == 0x2B || byte == 0x2D), index > start, source[index - 1] == 0x65 || source[index - 1] == 0x45 || source[index - 1] == 0x70 || source[index - 1] == 0x50 {
                index += 1
                continue
            }
            break
        }
        return string(start, index)
    }

    /// A double-quoted string with Go's escapes, decoded.
    mutating func quoted(open: Int) throws -> String {
        let start = index
        index += 1
        var out: [UInt8] = []
        while true {
            guard index < source.count, source[index] != 0x0A else { throw error("unterminated quoted string", at: start) }
            let byte = source[index]
            if byte == 0x22 { index += 1; break }
            if byte != 0x5C { out.append(byte); index += 1; continue }
            index += 1
            guard index < source.count else { throw error("unterminated quoted string", at: start) }
            let escape = source[index]
            index += 1
            switch escape {
            case 0x6E: out.append(0x0A)
            case 0x74: out.append(0x09)
            case 0x72: out.append(0x0D)
            case 0x61: out.append(0x07)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x76: out.append(0x0B)
            case 0x5C, 0x22, 0x27: out.append(escape)
            case 0x78, 0x75, 0x55:
                let digits = escape == 0x78 ? 2 : escape == 0x75 ? 4 : 8
                guard index + digits <= source.count, let value = UInt32(string(index, index + digits), radix: 16) else {
                    throw error("invalid syntax in quoted string", at: start)
                }
                index += digits
                if escape == 0x78 {
                    out.append(UInt8(value))
                } else {
                    guard let scalar = Unicode.Scalar(value) else { throw error("invalid syntax in quoted string", at: start) }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                }
            case 0x30...0x37:
                guard index + 2 <= source.count, let value = UInt16(string(index - 1, index + 2), radix: 8), value < 256 else {
                    throw error("invalid syntax in quoted string", at: start)
                }
                index += 2
                out.append(UInt8(value))
            default:
                throw error("invalid syntax in quoted string", at: start)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A character constant such as 'a' or '\n': its code point, as Go's rune.
    mutating func charConstant() throws -> String {
        let start = index
        index += 1
        var close = index
        while close < source.count && source[close] != 0x27 && source[close] != 0x0A {
            if source[close] == 0x5C { close += 1 }
            close += 1
        }
        guard close < source.count, source[close] == 0x27 else { throw error("unterminated character constant", at: start) }
        var body = Lexer(#"""# + string(index, close).replacingOccurrences(of: "\"", with: "\\\"") + #"""#, leftDelimiter: "{{", rightDelimiter: "}}")
        let decoded = try body.quoted(open: 0)
        index = close + 1
        guard let scalar = decoded.unicodeScalars.first, decoded.unicodeScalars.count == 1 else {
            throw error("malformed character constant", at: start)
        }
        return String(scalar.value)
    }
}

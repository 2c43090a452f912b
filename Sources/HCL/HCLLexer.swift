/// Turns source bytes into tokens on demand.
///
/// Tokens are produced one at a time so the parser can stop at the first error
/// without scanning, or allocating for, the rest of a huge input. Working on
/// UTF-8 bytes keeps every step O(1); only token payloads are turned back into
/// `String`s.
struct HCLLexer {
    let bytes: [UInt8]
    var index: Int
    var line = 1
    var column = 1

    init(_ text: String) {
        bytes = Array(text.utf8)
        // Editors hide a byte order mark; lexing it as an identifier would give a baffling error.
        index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    }

    var current: UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    func peek(_ offset: Int) -> UInt8? {
        let position = index + offset
        return position < bytes.count ? bytes[position] : nil
    }

    /// Every byte goes through here so line and column never need recomputing,
    /// which would be quadratic on long single-line (minified JSON) input.
    mutating func advance() {
        let byte = bytes[index]
        index += 1
        if byte == HCLByte.newline {
            line += 1
            column = 1
        } else if !HCLByte.isContinuation(byte) {
            column += 1
        }
    }

    mutating func advance(by count: Int) {
        for _ in 0..<count { advance() }
    }

    mutating func nextToken() throws(HCLError) -> HCLToken {
        try skipTrivia()
        let line = self.line
        let column = self.column
        guard let byte = current else {
            return HCLToken(kind: .endOfInput, line: line, column: column)
        }
        let kind: HCLTokenKind
        switch byte {
        case UInt8(ascii: "{"): kind = .leftBrace
        case UInt8(ascii: "}"): kind = .rightBrace
        case UInt8(ascii: "["): kind = .leftBracket
        case UInt8(ascii: "]"): kind = .rightBracket
        case UInt8(ascii: "="): kind = .equals
        case UInt8(ascii: ":"): kind = .colon
        case UInt8(ascii: ","): kind = .comma
        case HCLByte.quote:
            return try lexString(line: line, column: column)
        case HCLByte.less:
            return try lexHeredoc(line: line, column: column)
        case HCLByte.minus, UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try lexNumber(line: line, column: column)
        default:
            if HCLByte.isIdentifierStart(byte) {
                return lexIdentifier(line: line, column: column)
            }
            throw HCLError(line: line, column: column, message: "unexpected character \(HCLByte.describe(byte))")
        }
        advance()
        return HCLToken(kind: kind, line: line, column: column)
    }

    /// Newlines are trivia too: Vault's HCL accepts `a = 1 b = 2` on one line,
    /// so line breaks never separate anything the parser cares about.
    private mutating func skipTrivia() throws(HCLError) {
        while let byte = current {
            switch byte {
            case HCLByte.space, HCLByte.tab, HCLByte.newline, HCLByte.carriageReturn:
                advance()
            case HCLByte.hash:
                skipToEndOfLine()
            case HCLByte.slash where peek(1) == HCLByte.slash:
                skipToEndOfLine()
            case HCLByte.slash where peek(1) == HCLByte.star:
                try skipBlockComment()
            default:
                return
            }
        }
    }

    private mutating func skipToEndOfLine() {
        while let byte = current, byte != HCLByte.newline {
            advance()
        }
    }

    private mutating func skipBlockComment() throws(HCLError) {
        let line = self.line
        let column = self.column
        advance(by: 2)
        while let byte = current {
            if byte == HCLByte.star && peek(1) == HCLByte.slash {
                advance(by: 2)
                return
            }
            advance()
        }
        throw HCLError(line: line, column: column, message: "unterminated block comment")
    }

    private mutating func lexIdentifier(line: Int, column: Int) -> HCLToken {
        let start = index
        while let byte = current, HCLByte.isIdentifierByte(byte) {
            advance()
        }
        // Identifier bytes include whole multi-byte sequences, so the slice is valid UTF-8.
        let name = String(decoding: bytes[start..<index], as: UTF8.self)
        return HCLToken(kind: .identifier(name), line: line, column: column)
    }
}

extension HCLLexer {
    /// Lexes a double-quoted string, decoding escapes.
    ///
    /// `${…}` interpolations are kept as literal text (Tresor does not evaluate
    /// them), but quotes inside them must not end the string, as in
    /// `"${lookup(m, "k")}"`. A raw newline always ends the scan so an unclosed
    /// quote is reported where it opened instead of swallowing the whole file.
    mutating func lexString(line: Int, column: Int) throws(HCLError) -> HCLToken {
        advance()
        var buffer: [UInt8] = []
        var interpolationDepth = 0
        while true {
            guard let byte = current, byte != HCLByte.newline else {
                throw HCLError(line: line, column: column, message: "unterminated string")
            }
            switch byte {
            case HCLByte.quote where interpolationDepth == 0:
                advance()
                let text = String(decoding: buffer, as: UTF8.self)
                return HCLToken(kind: .string(text), line: line, column: column)
            case HCLByte.backslash:
                try lexEscape(into: &buffer)
            case HCLByte.dollar where peek(1) == HCLByte.leftBrace:
                interpolationDepth += 1
                buffer.append(contentsOf: [HCLByte.dollar, HCLByte.leftBrace])
                advance(by: 2)
            case HCLByte.leftBrace where interpolationDepth > 0:
                interpolationDepth += 1
                buffer.append(byte)
                advance()
            case HCLByte.rightBrace where interpolationDepth > 0:
                interpolationDepth -= 1
                buffer.append(byte)
                advance()
            default:
                buffer.append(byte)
                advance()
            }
        }
    }

    /// Leaves a backslash at end of line or input unconsumed, so the caller
    /// reports the string as unterminated at its opening quote.
    private mutating func lexEscape(into buffer: inout [UInt8]) throws(HCLError) {
        let line = self.line
        let column = self.column
        guard let code = peek(1), code != HCLByte.newline else {
            advance()
            return
        }
        let simple: UInt8? =
            switch code {
            case UInt8(ascii: "n"): HCLByte.newline
            case UInt8(ascii: "t"): HCLByte.tab
            case UInt8(ascii: "r"): HCLByte.carriageReturn
            case UInt8(ascii: "\""): HCLByte.quote
            case UInt8(ascii: "\\"): HCLByte.backslash
            case UInt8(ascii: "/"): HCLByte.slash
            case UInt8(ascii: "a"): 0x07
            case UInt8(ascii: "b"): 0x08
            case UInt8(ascii: "f"): 0x0C
            case UInt8(ascii: "v"): 0x0B
            default: nil
            }
        if let simple {
            buffer.append(simple)
            advance(by: 2)
            return
        }
        let digits: Int
        switch code {
        case UInt8(ascii: "u"): digits = 4
        case UInt8(ascii: "U"): digits = 8
        default:
            let shown = code < 0x80 ? HCLByte.describe(code) : "a non-ASCII character"
            throw HCLError(line: line, column: column, message: "invalid escape sequence: backslash followed by \(shown)")
        }
        advance(by: 2)
        var value = try readHex(digits, line: line, column: column)
        if (0xD800...0xDBFF).contains(value) {
            // JSON spells characters outside the BMP as a surrogate pair of \u escapes.
            guard current == HCLByte.backslash, peek(1) == UInt8(ascii: "u") else {
                throw HCLError(line: line, column: column, message: "invalid unicode escape: unpaired surrogate")
            }
            advance(by: 2)
            let low = try readHex(4, line: line, column: column)
            guard (0xDC00...0xDFFF).contains(low) else {
                throw HCLError(line: line, column: column, message: "invalid unicode escape: unpaired surrogate")
            }
            value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw HCLError(line: line, column: column, message: "invalid unicode escape: not a Unicode scalar value")
        }
        buffer.append(contentsOf: scalar.utf8)
    }

    private mutating func readHex(_ count: Int, line: Int, column: Int) throws(HCLError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<count {
            guard let byte = current, let digit = HCLByte.hexValue(byte) else {
                throw HCLError(
                    line: line, column: column,
                    message: "invalid unicode escape: expected \(count) hexadecimal digits")
            }
            value = value << 4 | digit
            advance()
        }
        return value
    }
}

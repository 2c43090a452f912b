extension HCLLexer {
    /// Numbers follow Vault's (HCL1) reading: decimal with optional fraction and
    /// exponent, `0x` hexadecimal, and a leading `0` meaning octal, so that
    /// `mode = 0640` in an agent file sink means what Vault thinks it means.
    mutating func lexNumber(line: Int, column: Int) throws(HCLError) -> HCLToken {
        let start = index
        if current == HCLByte.minus {
            advance()
        }
        guard let first = current, HCLByte.isDigit(first) else {
            throw HCLError(line: line, column: column, message: "unexpected character '-'")
        }
        var isHex = false
        var isInteger = true
        if first == UInt8(ascii: "0"), let marker = peek(1), marker | 0x20 == UInt8(ascii: "x") {
            isHex = true
            advance(by: 2)
            while let byte = current, HCLByte.hexValue(byte) != nil { advance() }
        } else {
            skipDigits()
            if current == HCLByte.dot, let next = peek(1), HCLByte.isDigit(next) {
                isInteger = false
                advance()
                skipDigits()
            }
            if let e = current, e | 0x20 == UInt8(ascii: "e") {
                let signWidth = (peek(1) == HCLByte.plus || peek(1) == HCLByte.minus) ? 1 : 0
                if let digit = peek(1 + signWidth), HCLByte.isDigit(digit) {
                    isInteger = false
                    advance(by: 1 + signWidth)
                    skipDigits()
                }
            }
        }
        // Text glued onto a number (`10s`, `1.2.3`) is almost always a value that
        // needed quotes; reporting the whole word makes that obvious.
        var malformed = false
        while let byte = current, HCLByte.isIdentifierByte(byte) {
            malformed = true
            advance()
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if malformed {
            throw HCLError(line: line, column: column, message: "invalid number \(HCLToken.quote(text))")
        }
        let value = try Self.numericValue(text, isHex: isHex, isInteger: isInteger, line: line, column: column)
        return HCLToken(kind: .number(value), line: line, column: column)
    }

    private mutating func skipDigits() {
        while let byte = current, HCLByte.isDigit(byte) { advance() }
    }

    private static func numericValue(
        _ text: String, isHex: Bool, isInteger: Bool, line: Int, column: Int
    ) throws(HCLError) -> Double {
        let negative = text.hasPrefix("-")
        let unsigned = negative ? text.dropFirst() : Substring(text)
        let sign: Double = negative ? -1 : 1
        if isHex {
            guard let magnitude = UInt64(unsigned.dropFirst(2), radix: 16) else {
                throw HCLError(line: line, column: column, message: "invalid hexadecimal number \(HCLToken.quote(text))")
            }
            return sign * Double(magnitude)
        }
        if isInteger && unsigned.count > 1 && unsigned.hasPrefix("0") {
            guard let magnitude = UInt64(unsigned, radix: 8) else {
                throw HCLError(
                    line: line, column: column,
                    message: "invalid octal number \(HCLToken.quote(text)) (a leading 0 means octal)")
            }
            return sign * Double(magnitude)
        }
        guard let value = Double(text), value.isFinite else {
            throw HCLError(line: line, column: column, message: "number \(HCLToken.quote(text)) is out of range")
        }
        return value
    }
}

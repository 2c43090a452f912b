enum HCLTokenKind: Equatable {
    case identifier(String)
    /// Quoted strings and heredocs alike; the parser never needs to tell them apart.
    case string(String)
    case number(Double)
    case leftBrace
    case rightBrace
    case leftBracket
    case rightBracket
    case equals
    case colon
    case comma
    case endOfInput
}

struct HCLToken {
    let kind: HCLTokenKind
    let line: Int
    let column: Int

    /// Wording used inside error messages, e.g. "found '}'".
    var description: String {
        switch kind {
        case .identifier(let name): "identifier \(HCLToken.quote(name))"
        case .string(let text): "string \(HCLToken.quote(text))"
        case .number: "a number"
        case .leftBrace: "'{'"
        case .rightBrace: "'}'"
        case .leftBracket: "'['"
        case .rightBracket: "']'"
        case .equals: "'='"
        case .colon: "':'"
        case .comma: "','"
        case .endOfInput: "end of input"
        }
    }

    /// Quotes user text for an error message. Control characters are escaped and
    /// long text is cut short so a hostile input cannot make messages unreadable or huge.
    static func quote(_ text: String) -> String {
        let limit = 40
        var result = "\""
        for (count, scalar) in text.unicodeScalars.enumerated() {
            if count == limit {
                result += "…"
                break
            }
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}

/// Byte classification for the lexer. Kept in its own namespace rather than as
/// an extension on `UInt8` so it cannot collide with helpers elsewhere in the project.
enum HCLByte {
    static let tab = UInt8(ascii: "\t")
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static let space = UInt8(ascii: " ")
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let dollar = UInt8(ascii: "$")
    static let leftBrace = UInt8(ascii: "{")
    static let rightBrace = UInt8(ascii: "}")
    static let minus = UInt8(ascii: "-")
    static let plus = UInt8(ascii: "+")
    static let dot = UInt8(ascii: ".")
    static let slash = UInt8(ascii: "/")
    static let star = UInt8(ascii: "*")
    static let hash = UInt8(ascii: "#")
    static let less = UInt8(ascii: "<")
    static let underscore = UInt8(ascii: "_")

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    static func isLetter(_ byte: UInt8) -> Bool {
        let lowered = byte | 0x20
        return lowered >= UInt8(ascii: "a") && lowered <= UInt8(ascii: "z")
    }

    static func isInlineSpace(_ byte: UInt8) -> Bool {
        byte == space || byte == tab
    }

    /// Bytes of multi-byte UTF-8 sequences are accepted so keys may use any script.
    static func isIdentifierStart(_ byte: UInt8) -> Bool {
        isLetter(byte) || byte == underscore || byte >= 0x80
    }

    static func isIdentifierByte(_ byte: UInt8) -> Bool {
        isIdentifierStart(byte) || isDigit(byte) || byte == minus || byte == dot
    }

    static func isHeredocMarkerByte(_ byte: UInt8) -> Bool {
        isLetter(byte) || isDigit(byte) || byte == underscore
    }

    /// UTF-8 continuation bytes do not start a new scalar, so they do not advance the column.
    static func isContinuation(_ byte: UInt8) -> Bool {
        byte & 0xC0 == 0x80
    }

    static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// Only called for ASCII bytes: anything at or above 0x80 lexes as part of an identifier.
    static func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F {
            return "'\(Character(Unicode.Scalar(byte)))'"
        }
        let hex = String(byte, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}

import Testing
@_spi(Server) @testable import TresorCore

@Suite struct JSONParserTests {
    private func parse(_ text: String) throws(JSONParseError) -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    private func failure(_ bytes: [UInt8]) -> String? {
        do {
            _ = try JSONValue.parse(bytes)
            return nil
        } catch {
            return error.description
        }
    }

    private func failure(_ text: String) -> String? { failure(Array(text.utf8)) }

    @Test func documents() throws {
        #expect(try parse(#" { "a" : [1, -2, 2.5, true, false, null, "x", {}, []] } "#)
            == ["a": [1, -2, 2.5, true, false, nil, "x", [:], []]])
        #expect(try parse("\"top\"") == "top")
        #expect(try parse("\t\r\n7\n") == 7)
        #expect(try parse(#"{"k":"first","k":"last"}"#) == ["k": "last"])
    }

    @Test func numbersFollowGoJSONNumberConversion() throws {
        #expect(try parse("0") == .int(0))
        #expect(try parse("-0") == .int(0))
        #expect(try parse("1.0") == .int(1))
        #expect(try parse("1e2") == .int(100))
        #expect(try parse("1.5") == .double(1.5))
        #expect(try parse("-2.5E-3") == .double(-0.0025))
        #expect(try parse("9223372036854775807") == .int(Int64.max))
        #expect(try parse("-9223372036854775808") == .int(Int64.min))
        #expect(try parse("12345678901234567890") == .double(1.2345678901234567e19))
        #expect(failure("1e400") == "json: cannot unmarshal number 1e400 into Go value of type float64")
    }

    @Test func strings() throws {
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{08}\u{0C}\n\r\t"))
        #expect(try parse(#""\u00e9\u20AC""#) == "é€")
        #expect(try parse("\"é€ 😀\"") == "é€ 😀")
        #expect(try parse(#""\ud83d\ude00""#) == "😀")
        // Lone or mismatched surrogates become U+FFFD, as Go decodes them.
        #expect(try parse(#""\ud800x""#) == "\u{FFFD}x")
        #expect(try parse(#""\udc00""#) == "\u{FFFD}")
        #expect(try parse(#""\ud800\u0041""#) == "\u{FFFD}A")
    }

    @Test func errorsReadLikeGo() {
        #expect(failure("") == "unexpected end of JSON input")
        #expect(failure("{bad") == "invalid character 'b' looking for beginning of object key string")
        #expect(failure(#"{"a":1,}"#) == "invalid character '}' looking for beginning of object key string")
        #expect(failure("[1,]") == "invalid character ']' looking for beginning of value")
        #expect(failure(#"{"a" 1}"#) == "invalid character '1' after object key")
        #expect(failure(#"{"a":1 "b":2}"#) == #"invalid character '"' after object key:value pair"#)
        #expect(failure("[1 2]") == "invalid character '2' after array element")
        #expect(failure("{} x") == "invalid character 'x' after top-level value")
        #expect(failure("01") == "invalid character '1' after top-level value")
        #expect(failure("tru") == "unexpected end of JSON input")
        #expect(failure("trux") == "invalid character 'x' in literal true (expecting 'e')")
        #expect(failure("nul!") == "invalid character '!' in literal null (expecting 'l')")
        #expect(failure(#""\x""#) == "invalid character 'x' in string escape code")
        #expect(failure(#""\u12G4""#) == #"invalid character 'G' in \u hexadecimal character escape"#)
        #expect(failure("\"a\nb\"") == #"invalid character '\n' in string literal"#)
        #expect(failure("-") == "unexpected end of JSON input")
        #expect(failure("-a") == "invalid character 'a' in numeric literal")
        #expect(failure("1.e") == "invalid character 'e' after decimal point in numeric literal")
        #expect(failure("1ex") == "invalid character 'x' in exponent of numeric literal")
        #expect(failure("'x'") == #"invalid character '\'' looking for beginning of value"#)
        #expect(failure([0x01]) == #"invalid character '\x01' looking for beginning of value"#)
        #expect(failure([0xFF]) == "invalid character 'ÿ' looking for beginning of value")
        #expect(failure([0x85]) == #"invalid character '\u0085' looking for beginning of value"#)
    }

    @Test func hostileInput() {
        // Invalid UTF-8 inside a string is refused rather than silently altered.
        #expect(failure([0x22, 0xC3, 0x28, 0x22]) == "invalid UTF-8 in string")
        #expect(failure([0x22, 0xED, 0xA0, 0x80, 0x22]) == "invalid UTF-8 in string")
        #expect(failure([0x22, 0xE2, 0x82]) == "unexpected end of JSON input")
        #expect(failure("\"unterminated") == "unexpected end of JSON input")
        #expect(failure(#""\u12"#) == "unexpected end of JSON input")

        let limit = JSONValue.maximumNestingDepth
        #expect(failure(String(repeating: "[", count: limit) + String(repeating: "]", count: limit)) == nil)
        #expect(failure(String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)) == "exceeded max depth")
        #expect(failure(String(repeating: "{\"a\":", count: 100_000)) == "exceeded max depth")
        #expect(failure(String(repeating: "[", count: 100_000)) == "exceeded max depth")
    }

    @Test func randomBytesNeverCrash() {
        var generator = SeededGenerator(seed: 0x7E50_2001)
        let alphabet = Array(#"{}[],:"\/-+.eE0123456789 tfnulrsaeu"#.utf8) + [0x00, 0x0A, 0x80, 0xC3, 0xFF]
        for _ in 0..<20_000 {
            let length = Int.random(in: 0..<24, using: &generator)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            _ = try? JSONValue.parse(bytes)
        }
    }

    @Test func writerOutputParsesBackToTheSameValue() throws {
        var generator = SeededGenerator(seed: 0x7E50_2002)
        func randomValue(_ depth: Int) -> JSONValue {
            switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &generator) {
            case 0: return .null
            case 1: return .bool(Bool.random(using: &generator))
            case 2: return .int(Int64.random(in: .min ... .max, using: &generator))
            case 3: return .double(Double.random(in: -1e6...1e6, using: &generator))
            case 4:
                let scalars = (0..<Int.random(in: 0..<8, using: &generator)).map { _ in
                    Unicode.Scalar([0x22, 0x5C, 0x0A, 0x01, 0x41, 0xE9, 0x20AC, 0x1F600, 0x3C].randomElement(using: &generator)!)!
                }
                return .string(String(String.UnicodeScalarView(scalars)))
            case 5: return .array((0..<Int.random(in: 0..<4, using: &generator)).map { _ in randomValue(depth + 1) })
            default:
                var object: [String: JSONValue] = [:]
                for i in 0..<Int.random(in: 0..<4, using: &generator) { object["k\(i)"] = randomValue(depth + 1) }
                return .object(object)
            }
        }
        for _ in 0..<2_000 {
            let value = randomValue(0)
            let parsed = try JSONValue.parse(JSONWriter.encode(value))
            #expect(parsed == value || value.containsWholeDouble, "\(value)")
        }
    }
}

/// SplitMix64: the same inputs on every run, so a failure found once is found again.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private extension JSONValue {
    /// The writer prints whole doubles as integers, which then read back as `.int` (as in Go).
    var containsWholeDouble: Bool {
        switch self {
        case .double(let d): return d == d.rounded()
        case .array(let items): return items.contains { $0.containsWholeDouble }
        case .object(let members): return members.values.contains { $0.containsWholeDouble }
        default: return false
        }
    }
}

/// Strings long enough for the word-at-a-time scans, with the special byte at every offset.
@Suite struct JSONWordScanTests {
    @Test func everySpecialByteIsFoundAtEveryOffset() throws {
        for special in ["\"", "\\", "\n", "\u{1}", "<", ">", "&", "é"] {
            for offset in 0..<20 {
                let text = String(repeating: "a", count: offset) + special + String(repeating: "b", count: 19 - offset)
                let written = JSONWriter.encode(.string(text))
                #expect(try JSONValue.parse(written) == .string(text), "\(special) at \(offset)")
                if special != "é" { #expect(written.count > text.utf8.count + 2, "escaped \(special) at \(offset)") }
            }
        }
        let plain = String(repeating: "abcdefgh+/=", count: 50)
        #expect(JSONWriter.encode(.string(plain)) == Array("\"\(plain)\"".utf8))
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array("\"abcdefghijklmnop\u{1}qrstuvw\"".utf8)) }
    }
}

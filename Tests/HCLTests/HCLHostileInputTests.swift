import Foundation
import HCL
import Testing

struct HCLHostileCase: Sendable, CustomStringConvertible {
    let name: String
    let input: String
    let line: Int
    let column: Int
    let message: String

    var description: String { name }
}

@Suite("HCL hostile input")
struct HCLHostileInputTests {
    static let cases: [HCLHostileCase] = [
        HCLHostileCase(
            name: "unterminated string stops at the newline",
            input: "a = 1\nb = \"oops\nc = 2\n", line: 2, column: 5, message: "unterminated string"),
        HCLHostileCase(
            name: "unterminated string at end of input",
            input: "path \"secret/*", line: 1, column: 6, message: "unterminated string"),
        HCLHostileCase(
            name: "backslash before end of line",
            input: "a = \"abc\\\n\"", line: 1, column: 5, message: "unterminated string"),
        HCLHostileCase(
            name: "quote inside an unclosed interpolation",
            input: "a = \"${lookup(m, \"k\")\n", line: 1, column: 5, message: "unterminated string"),
        HCLHostileCase(
            name: "CRLF line endings count as one line",
            input: "a = 1\r\nb = \"x\r\n", line: 2, column: 5, message: "unterminated string"),
        HCLHostileCase(
            name: "unterminated block",
            input: "path \"x\" {\n  capabilities = [\"read\"]\n", line: 1, column: 10, message: "unclosed '{'"),
        HCLHostileCase(
            name: "missing brace is blamed on the block left open",
            input: "path \"a\" {\n  capabilities = []\npath \"b\" {\n}\n", line: 1, column: 10,
            message: "unclosed '{'"),
        HCLHostileCase(
            name: "unterminated JSON object",
            input: "{\"path\": {\"a\": {}}", line: 1, column: 1, message: "unclosed '{'"),
        HCLHostileCase(
            name: "unterminated list",
            input: "a = [1, 2\n", line: 1, column: 5, message: "unclosed '['"),
        HCLHostileCase(
            name: "unterminated heredoc",
            input: "x = 1\nbody = <<EOF\nhello\n", line: 2, column: 8,
            message: "unterminated heredoc: closing marker \"EOF\" not found"),
        HCLHostileCase(
            name: "heredoc at end of input",
            input: "a = <<EOF", line: 1, column: 5, message: "unterminated heredoc"),
        HCLHostileCase(
            name: "heredoc without marker",
            input: "a = << EOF\nEOF\n", line: 1, column: 5, message: "expected a heredoc marker after '<<'"),
        HCLHostileCase(
            name: "text after heredoc marker",
            input: "a = <<EOF junk\nEOF\n", line: 1, column: 11,
            message: "heredoc marker \"EOF\" must be followed by a newline"),
        HCLHostileCase(
            name: "unterminated block comment",
            input: "a = 1\n/* never\nclosed", line: 2, column: 1, message: "unterminated block comment"),
        HCLHostileCase(
            name: "invalid escape",
            input: "a = \"x\\q\"", line: 1, column: 7, message: "invalid escape sequence: backslash followed by 'q'"),
        HCLHostileCase(
            name: "short unicode escape",
            input: "a = \"\\u12\"", line: 1, column: 6, message: "expected 4 hexadecimal digits"),
        HCLHostileCase(
            name: "unpaired surrogate",
            input: "a = \"\\uD800x\"", line: 1, column: 6, message: "unpaired surrogate"),
        HCLHostileCase(
            name: "escape beyond Unicode",
            input: "a = \"\\U00110000\"", line: 1, column: 6, message: "not a Unicode scalar value"),
        HCLHostileCase(
            name: "stray closing brace",
            input: "a = 1\n}\n", line: 2, column: 1, message: "unexpected '}' without a matching '{'"),
        HCLHostileCase(
            name: "stray equals",
            input: "= 1", line: 1, column: 1, message: "expected a key, found '='"),
        HCLHostileCase(
            name: "top-level JSON array",
            input: "[1]", line: 1, column: 1, message: "expected a key, found '['"),
        HCLHostileCase(
            name: "key without value",
            input: "path \"x\" ]", line: 1, column: 10,
            message: "expected '=' or '{' after key \"path\", found ']'"),
        HCLHostileCase(
            name: "key at end of input",
            input: "ui true", line: 1, column: 8,
            message: "expected '=' or '{' after key \"ui\", found end of input"),
        HCLHostileCase(
            name: "labelled block with a scalar value",
            input: "path \"x\" = \"y\"", line: 1, column: 12, message: "expected '{' to open block \"path\""),
        HCLHostileCase(
            name: "missing value",
            input: "a = \n", line: 2, column: 1, message: "expected a value, found end of input"),
        HCLHostileCase(
            name: "unquoted string value",
            input: "a = foo", line: 1, column: 5, message: "unknown identifier \"foo\"; string values must be quoted"),
        HCLHostileCase(
            name: "duration without quotes",
            input: "ttl = 10s", line: 1, column: 7, message: "invalid number \"10s\""),
        HCLHostileCase(
            name: "version-like number",
            input: "v = 1.2.3", line: 1, column: 5, message: "invalid number \"1.2.3\""),
        HCLHostileCase(
            name: "bad octal",
            input: "mode = 0968", line: 1, column: 8, message: "invalid octal number \"0968\""),
        HCLHostileCase(
            name: "empty hex",
            input: "a = 0x", line: 1, column: 5, message: "invalid hexadecimal number"),
        HCLHostileCase(
            name: "number out of range",
            input: "a = 1e999", line: 1, column: 5, message: "out of range"),
        HCLHostileCase(
            name: "lone minus",
            input: "a = -", line: 1, column: 5, message: "unexpected character '-'"),
        HCLHostileCase(
            name: "lone less-than",
            input: "a = <3", line: 1, column: 5, message: "unexpected character '<'"),
        HCLHostileCase(
            name: "lone slash",
            input: "a = 1 / 2", line: 1, column: 7, message: "unexpected character '/'"),
        HCLHostileCase(
            name: "stray character",
            input: "a = 1\n  @\n", line: 2, column: 3, message: "unexpected character '@'"),
        HCLHostileCase(
            name: "NUL outside a string",
            input: "a = 1\n\u{0}", line: 2, column: 1, message: "unexpected character U+0000"),
        HCLHostileCase(
            name: "list without commas",
            input: "a = [1 2]", line: 1, column: 8, message: "expected ',' or ']' after a list element"),
        HCLHostileCase(
            name: "list closed with a brace",
            input: "a = [1, 2}", line: 1, column: 10, message: "expected ',' or ']' after a list element, found '}'"),
        HCLHostileCase(
            name: "empty list element",
            input: "a = [,]", line: 1, column: 6, message: "expected a value, found ','"),
        HCLHostileCase(
            name: "text after a JSON document",
            input: "{\"a\": 1} x", line: 1, column: 10, message: "expected end of input after the top-level object"),
        HCLHostileCase(
            name: "columns count characters, not bytes",
            input: "ключ = \"значение\n", line: 1, column: 8, message: "unterminated string"),
        HCLHostileCase(
            name: "a tab is one column",
            input: "\ta = @", line: 1, column: 6, message: "unexpected character '@'"),
    ]

    @Test(arguments: cases)
    func reportsErrorAtOffendingToken(_ hostile: HCLHostileCase) throws {
        let error = try #require(hclParseError(hostile.input))
        #expect(error.line == hostile.line)
        #expect(error.column == hostile.column)
        #expect(error.message.contains(hostile.message), "message was: \(error.message)")
    }

    @Test func nestingUpToTheLimitIsAccepted() throws {
        let depth = 100
        let text = "a = " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        var value = try #require(try HCL.parse(text)["a"])
        var levels = 0
        while case .list(let items) = value {
            levels += 1
            guard let first = items.first else { break }
            value = first
        }
        #expect(levels == depth)
    }

    /// Darwin gives secondary threads 512 KB of stack and debug builds use big
    /// frames, so maximally nested input is parsed, compared and destroyed on a
    /// 256 KB thread to show none of it recurses per nesting level in a costly way.
    @Test func maximumNestingFitsOnASmallThreadStack() async {
        let inputs = [
            "a = " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
            "a = " + String(repeating: "{ a = ", count: 100) + "1" + String(repeating: "}", count: 100),
            String(repeating: "{\"a\":", count: 100) + "1" + String(repeating: "}", count: 100),
            String(repeating: "a {", count: 100) + String(repeating: "}", count: 100),
            "a" + String(repeating: " \"l\"", count: 99) + " {}",
        ]
        let parsedAll = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let thread = Thread {
                let ok = inputs.allSatisfy { input in
                    guard let first = try? HCL.parse(input), let second = try? HCL.parse(input) else { return false }
                    return first == second
                }
                continuation.resume(returning: ok)
            }
            thread.stackSize = 256 * 1024
            thread.start()
        }
        #expect(parsedAll)
    }

    @Test(.timeLimit(.minutes(1)))
    func deeplyNestedListsAreRejected() throws {
        for count in [101, 1_000_000] {
            let error = try #require(hclParseError("a = " + String(repeating: "[", count: count)))
            #expect(error == HCLError(line: 1, column: 105, message: "nesting too deep: more than 100 levels"))
        }
    }

    @Test func deeplyNestedBlocksAreRejected() throws {
        let error = try #require(hclParseError(String(repeating: "a {", count: 500)))
        #expect(error.line == 1)
        #expect(error.column == 303)
        #expect(error.message.contains("nesting too deep"))
    }

    @Test func deeplyNestedJSONIsRejected() throws {
        let error = try #require(hclParseError(String(repeating: "{\"a\":", count: 500)))
        #expect(error.column == 501)
        #expect(error.message.contains("nesting too deep"))
    }

    @Test func tooManyLabelsAreRejected() throws {
        let error = try #require(hclParseError("a" + String(repeating: " \"l\"", count: 500) + " {}"))
        #expect(error.column == 403)
        #expect(error.message.contains("nesting too deep"))
    }

    @Test(.timeLimit(.minutes(1)))
    func hugeInputsParseInLinearTime() throws {
        let blocks = 20_000
        var policy = ""
        for index in 0..<blocks {
            policy += "path \"secret/data/\(index)/*\" {\n  capabilities = [\"read\", \"list\"]\n}\n"
        }
        let parsed = try HCL.parse(policy)
        #expect(parsed.all("path").count == blocks)
        #expect(parsed.all("path").last == ["secret/data/19999/*": ["capabilities": ["read", "list"]]])

        // One very long line: column tracking must not rescan the line.
        let numbers = 200_000
        let json = "{\"a\": [" + String(repeating: "1,", count: numbers) + "1]}"
        guard case .list(let items) = try HCL.parse(json)["a"] else {
            Issue.record("expected a list")
            return
        }
        #expect(items.count == numbers + 1)

        let comments = String(repeating: "# comment line\n// another\n/* block */\n", count: 50_000)
        #expect(try HCL.parse(comments + "a = 1") == ["a": 1])
    }

    @Test(.timeLimit(.minutes(1)))
    func hugeUnterminatedConstructsFailAtTheirStart() throws {
        let string = try #require(hclParseError("a = \"" + String(repeating: "x", count: 1_000_000)))
        #expect(string == HCLError(line: 1, column: 5, message: "unterminated string"))

        let heredoc = try #require(hclParseError("a = <<EOF\n" + String(repeating: "line\n", count: 100_000)))
        #expect(heredoc.line == 1 && heredoc.column == 5)

        let comment = try #require(hclParseError("/*" + String(repeating: "*", count: 1_000_000)))
        #expect(comment.line == 1 && comment.column == 1)

        let blocks = try #require(hclParseError(String(repeating: "a {}\n", count: 100_000) + "a {"))
        #expect(blocks.line == 100_001 && blocks.column == 3)
    }

    /// Randomly corrupts a valid policy many times: the parser must never crash
    /// or hang, and every error must point inside the input.
    @Test(.timeLimit(.minutes(1)))
    func corruptedPoliciesNeverCrash() {
        let base = Array(HCLParserTests.policy.unicodeScalars)
        let alphabet = Array("{}[]\"=,:#/*<-\\$0aE \n\t\u{0}é".unicodeScalars)
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random(_ bound: Int) -> Int {
            // xorshift keeps the test deterministic without depending on Foundation.
            seed ^= seed << 13
            seed ^= seed >> 7
            seed ^= seed << 17
            return Int(seed % UInt64(bound))
        }
        for _ in 0..<2_000 {
            var scalars = base
            for _ in 0..<(1 + random(4)) {
                let position = random(scalars.count)
                switch random(3) {
                case 0: scalars[position] = alphabet[random(alphabet.count)]
                case 1: scalars.insert(alphabet[random(alphabet.count)], at: position)
                default: scalars.remove(at: position)
                }
            }
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars)
            if let error = hclParseError(text) {
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
                #expect(error.line >= 1 && error.line <= lines)
                #expect(error.column >= 1)
                #expect(!error.message.isEmpty)
            }
        }
    }
}

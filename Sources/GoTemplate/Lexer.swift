/// Reads the inside of one `{{ }}` action.
struct Lexer {
    let chars: [Unicode.Scalar]
    var index = 0

    init(_ chars: [Unicode.Scalar]) { self.chars = chars }

    var atEnd: Bool {
        var probe = self
        probe.skipSpace()
        return probe.index >= probe.chars.count
    }

    var remaining: String {
        var text = ""
        text.unicodeScalars.append(contentsOf: chars[min(index, chars.count)...])
        return text.trimmingCharactersOfSpace()
    }

    mutating func skipSpace() {
        while index < chars.count, chars[index] == " " || chars[index] == "\t" || chars[index] == "\n" || chars[index] == "\r" { index += 1 }
    }

    func peek() -> Unicode.Scalar? { index < chars.count ? chars[index] : nil }

    /// command ( '|' command )*
    mutating func pipeline(depth: Int) throws -> [GoTemplate.Command] {
        guard depth < GoTemplate.maxDepth else { throw GoTemplate.Error("template nests too deeply") }
        var commands: [GoTemplate.Command] = []
        while true {
            skipSpace()
            guard let command = try command(depth: depth) else {
                if commands.isEmpty { return [] }
                throw GoTemplate.Error("missing command after '|'")
            }
            commands.append(command)
            skipSpace()
            if peek() == "|" {
                index += 1
                continue
            }
            return commands
        }
    }

    /// A function name followed by operands, or one operand.
    mutating func command(depth: Int) throws -> GoTemplate.Command? {
        var operands: [GoTemplate.Operand] = []
        while true {
            skipSpace()
            guard let next = peek(), next != "|", next != ")" else { break }
            operands.append(try operand(depth: depth))
        }
        guard let first = operands.first else { return nil }
        if case .function(let name) = first { return .call(name, Array(operands.dropFirst())) }
        guard operands.count == 1 else { throw GoTemplate.Error("can't give arguments to a non-function") }
        return .operand(first)
    }

    mutating func operand(depth: Int) throws -> GoTemplate.Operand {
        guard let c = peek() else { throw GoTemplate.Error("unexpected end of action") }
        switch c {
        case "\"":
            index += 1
            var text = ""
            while let d = peek(), d != "\"" {
                index += 1
                if d == "\\" {
                    guard let escaped = peek() else { break }
                    index += 1
                    switch escaped {
                    case "n": text.append("\n")
                    case "t": text.append("\t")
                    case "\"", "\\": text.unicodeScalars.append(escaped)
                    default: throw GoTemplate.Error("invalid escape \\\(escaped)")
                    }
                } else {
                    text.unicodeScalars.append(d)
                }
            }
            guard peek() == "\"" else { throw GoTemplate.Error("unterminated quoted string") }
            index += 1
            return .string(text)
        case "(":
            index += 1
            let inner = try pipeline(depth: depth + 1)
            skipSpace()
            guard peek() == ")" else { throw GoTemplate.Error("unclosed left paren") }
            index += 1
            guard !inner.isEmpty else { throw GoTemplate.Error("missing value in parentheses") }
            return .group(inner)
        case ".":
            index += 1
            let name = word()
            guard !name.isEmpty else { throw GoTemplate.Error("bad field name") }
            return .field(name)
        case "-", "0"..."9":
            var digits = ""
            if c == "-" {
                digits = "-"
                index += 1
            }
            while let d = peek(), ("0"..."9").contains(d) {
                digits.unicodeScalars.append(d)
                index += 1
            }
            guard let number = Int(digits), digits.count <= 18 else { throw GoTemplate.Error("bad number \(digits)") }
            return .int(number)
        default:
            let name = word()
            guard !name.isEmpty else { throw GoTemplate.Error("unexpected \"\(c)\" in action") }
            return .function(name)
        }
    }

    mutating func word() -> String {
        var text = ""
        while let c = peek(), c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" {
            text.unicodeScalars.append(c)
            index += 1
        }
        return text
    }
}

extension String {
    func trimmingCharactersOfSpace() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

/// Why a document is not JSON, in the words Go's encoding/json uses, because those are the
/// messages Vault users see and search for.
public struct JSONParseError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    /// The document is well-formed so far but over one of the `JSONLimits`.
    public var isComplexityLimit = false

    public init(description: String, isComplexityLimit: Bool = false) {
        self.description = description
        self.isComplexityLimit = isComplexityLimit
    }
}

/// Bounds on what one document may cost to parse. A request body is read in full before
/// anything else, so without these a 32 MiB body of `[0,0,0,…]` becomes sixteen million values.
/// The names and defaults are Vault's listener options (`max_json_*`) and OpenBao's
/// (`max_request_json_memory`, `max_request_json_strings`); 0 means "no limit" for each.
public struct JSONLimits: Sendable, Equatable {
    public var maxDepth: Int
    public var maxStringLength: Int
    public var maxObjectEntries: Int
    public var maxArrayElements: Int
    /// An estimate of the parsed document's size, with OpenBao's cost model: 16 bytes a value,
    /// plus 72 an object, 24 an array, 16 plus its length a string (keys too), 8 a number.
    public var maxMemory: Int
    /// Strings, object keys included.
    public var maxStrings: Int

    public init(maxDepth: Int = 500, maxStringLength: Int = 1024 * 1024, maxObjectEntries: Int = 10_000,
                maxArrayElements: Int = 10_000, maxMemory: Int = 32 * 1024 * 1024 + 512 * 1024, maxStrings: Int = 0) {
        self.maxDepth = maxDepth
        self.maxStringLength = maxStringLength
        self.maxObjectEntries = maxObjectEntries
        self.maxArrayElements = maxArrayElements
        self.maxMemory = maxMemory
        self.maxStrings = maxStrings
    }

    /// What a request body may be by default.
    public static let requestDefault = JSONLimits()
    /// Stored documents are our own writes: only recursion is bounded.
    public static let stored = JSONLimits(maxDepth: JSONValue.maximumNestingDepth, maxStringLength: 0, maxObjectEntries: 0,
                                          maxArrayElements: 0, maxMemory: 0, maxStrings: 0)
}

extension JSONValue {
    /// Objects and arrays nested deeper than this are refused: recursion stays bounded
    /// whatever a client sends.
    public static let maximumNestingDepth = 512

    /// Parses one JSON document (RFC 8259) with nothing but whitespace after it.
    ///
    /// Hand-written because every request body and every stored document passes through it, and
    /// Foundation's decoder, asked for a dynamic value, throws and catches an error per type it
    /// tries. Numbers that are whole and fit 64 bits become `.int` (so `1.0` and `1e2` do, as Go's
    /// json.Number does for Vault); other numbers must be finite doubles. Strings must be valid
    /// UTF-8; a lone surrogate escape becomes U+FFFD, as in Go; duplicate keys keep the last value.
    public static func parse(_ bytes: some Collection<UInt8>, limits: JSONLimits = .stored) throws(JSONParseError) -> JSONValue {
        let contiguous = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONParseError) in try parse(buffer: buffer, limits: limits) }
        }
        if let contiguous { return try contiguous.get() }
        return try Array(bytes).withUnsafeBufferPointer { buffer in
            Result { () throws(JSONParseError) in try parse(buffer: buffer, limits: limits) }
        }.get()
    }

    private static func parse(buffer: UnsafeBufferPointer<UInt8>, limits: JSONLimits) throws(JSONParseError) -> JSONValue {
        var scanner = JSONScanner(bytes: buffer, limits: limits)
        let value = try scanner.value()
        scanner.skipWhitespace()
        if scanner.index < buffer.count {
            throw JSONScanner.invalid(buffer[scanner.index], "after top-level value")
        }
        return value
    }
}

/// One pass over the bytes; `index` always points at the next unread byte.
private struct JSONScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    let limits: JSONLimits
    var index = 0
    var depth = 0
    var memory = 0
    var strings = 0

    init(bytes: UnsafeBufferPointer<UInt8>, limits: JSONLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    static func tooComplex(_ what: String) -> JSONParseError {
        JSONParseError(description: "refused JSON input due to high complexity: exceeded maximum \(what)", isComplexityLimit: true)
    }

    /// Counts a value's estimated cost before it is built, so a refused document stops early.
    @inline(__always)
    mutating func charge(_ bytes: Int) throws(JSONParseError) {
        memory += 16 + bytes
        if limits.maxMemory > 0 && memory > limits.maxMemory { throw Self.tooComplex("estimated memory limits") }
    }

    @inline(__always)
    mutating func countString(length: Int) throws(JSONParseError) {
        strings += 1
        if limits.maxStrings > 0 && strings > limits.maxStrings { throw Self.tooComplex("number of strings") }
        if limits.maxStringLength > 0 && length > limits.maxStringLength { throw Self.tooComplex("string value length") }
        try charge(16 + length)
    }

    static let unexpectedEnd = JSONParseError(description: "unexpected end of JSON input")

    static func invalid(_ byte: UInt8, _ context: String) -> JSONParseError {
        JSONParseError(description: "invalid character \(quoted(byte)) \(context)")
    }

    /// A byte as Go's quoteChar shows it: printable characters as themselves, the rest escaped.
    static func quoted(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: "'"): return #"'\''"#
        case UInt8(ascii: "\\"): return #"'\\'"#
        case 0x07: return #"'\a'"#
        case 0x08: return #"'\b'"#
        case 0x0C: return #"'\f'"#
        case 0x0A: return #"'\n'"#
        case 0x0D: return #"'\r'"#
        case 0x09: return #"'\t'"#
        case 0x0B: return #"'\v'"#
        case 0x20...0x7E: return "'\(Character(Unicode.Scalar(byte)))'"
        case 0x00..<0x20, 0x7F: return "'\\x\([byte].hexString)'"
        case 0x80...0xA0, 0xAD: return "'\\u00\([byte].hexString)'"
        default: return "'\(Character(Unicode.Scalar(byte)))'"
        }
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func value() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw Self.unexpectedEnd }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try charge(1); try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try charge(1); try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try charge(1); try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try charge(8); return try number()
        case let byte: throw Self.invalid(byte, "looking for beginning of value")
        }
    }

    private mutating func enter(cost: Int) throws(JSONParseError) {
        depth += 1
        if depth > JSONValue.maximumNestingDepth { throw JSONParseError(description: "exceeded max depth") }
        if limits.maxDepth > 0 && depth > limits.maxDepth { throw Self.tooComplex("nesting depth") }
        try charge(cost)
        index += 1
    }

    private mutating func object() throws(JSONParseError) -> JSONValue {
        try enter(cost: 72)
        var members: [String: JSONValue] = [:]
        if closesEmpty(UInt8(ascii: "}")) { return .object(members) }
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw Self.unexpectedEnd }
            guard bytes[index] == UInt8(ascii: "\"") else {
                throw Self.invalid(bytes[index], "looking for beginning of object key string")
            }
            let key = try string()
            skipWhitespace()
            guard index < bytes.count else { throw Self.unexpectedEnd }
            guard bytes[index] == UInt8(ascii: ":") else { throw Self.invalid(bytes[index], "after object key") }
            index += 1
            members[key] = try value()
            if limits.maxObjectEntries > 0 && members.count > limits.maxObjectEntries { throw Self.tooComplex("object entry count") }
            if try !continues(closing: UInt8(ascii: "}"), "after object key:value pair") { return .object(members) }
        }
    }

    private mutating func array() throws(JSONParseError) -> JSONValue {
        try enter(cost: 24)
        var elements: [JSONValue] = []
        if closesEmpty(UInt8(ascii: "]")) { return .array(elements) }
        while true {
            elements.append(try value())
            if limits.maxArrayElements > 0 && elements.count > limits.maxArrayElements { throw Self.tooComplex("array element count") }
            if try !continues(closing: UInt8(ascii: "]"), "after array element") { return .array(elements) }
        }
    }

    /// Right after the opening bracket: consumes `closing` if the container is empty.
    private mutating func closesEmpty(_ closing: UInt8) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == closing else { return false }
        index += 1
        depth -= 1
        return true
    }

    /// After a member or element: true at a comma, false at the closing bracket (consumed).
    private mutating func continues(closing: UInt8, _ context: String) throws(JSONParseError) -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw Self.unexpectedEnd }
        let separator = bytes[index]
        index += 1
        if separator == UInt8(ascii: ",") { return true }
        if separator == closing {
            depth -= 1
            return false
        }
        throw Self.invalid(separator, context)
    }

    private mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        let name = "literal \(word)"
        for offset in 1..<expected.count {
            let position = index + offset
            guard position < bytes.count else { throw Self.unexpectedEnd }
            if bytes[position] != expected[offset] {
                let wanted = Self.quoted(expected[offset])
                throw Self.invalid(bytes[position], "in \(name) (expecting \(wanted))")
            }
        }
        index += expected.count
    }

    /// The string starting at the opening quote. Plain ASCII without escapes is copied in one go.
    mutating func string() throws(JSONParseError) -> String {
        index += 1
        let start = index
        index = WordScan.cleanPrefix(UnsafeRawBufferPointer(bytes), from: index) { word in
            !(WordScan.hasByte(0x22, in: word) || WordScan.hasByte(0x5C, in: word) || WordScan.hasByte(below: 0x20, in: word)
                || WordScan.hasNonASCII(word))
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                try countString(length: index - start)
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { break }
            index += 1
        }
        var utf8 = Array(bytes[start..<index])
        while true {
            guard index < bytes.count else { throw Self.unexpectedEnd }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                try countString(length: utf8.count)
                guard let text = String(validating: utf8, as: UTF8.self) else {
                    throw JSONParseError(description: "invalid UTF-8 in string")
                }
                return text
            case UInt8(ascii: "\\"):
                try escape(into: &utf8)
            case 0x00..<0x20:
                throw Self.invalid(byte, "in string literal")
            default:
                utf8.append(byte)
                index += 1
                if limits.maxStringLength > 0 && utf8.count > limits.maxStringLength { throw Self.tooComplex("string value length") }
            }
        }
    }

    private mutating func escape(into utf8: inout [UInt8]) throws(JSONParseError) {
        index += 1
        guard index < bytes.count else { throw Self.unexpectedEnd }
        let code = bytes[index]
        index += 1
        switch code {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(code)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate counts only with a low one right after it.
                if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                    let mark = index
                    index += 2
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        index = mark
                        scalar = 0xFFFD
                    }
                } else {
                    scalar = 0xFFFD
                }
            } else if (0xDC00..<0xE000).contains(scalar) {
                scalar = 0xFFFD
            }
            utf8.append(contentsOf: UTF8.encode(Unicode.Scalar(scalar) ?? "\u{FFFD}")!)
        default:
            throw Self.invalid(code, "in string escape code")
        }
    }

    private mutating func hex4() throws(JSONParseError) -> UInt32 {
        var result: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count else { throw Self.unexpectedEnd }
            let byte = bytes[index]
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            default: throw Self.invalid(byte, "in \\u hexadecimal character escape")
            }
            result = result << 4 | UInt32(nibble)
            index += 1
        }
        return result
    }

    /// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    private mutating func number() throws(JSONParseError) -> JSONValue {
        let start = index
        if bytes[index] == UInt8(ascii: "-") {
            index += 1
            guard index < bytes.count else { throw Self.unexpectedEnd }
            guard isDigit(bytes[index]) else { throw Self.invalid(bytes[index], "in numeric literal") }
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        var whole = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            whole = false
            index += 1
            guard index < bytes.count else { throw Self.unexpectedEnd }
            guard isDigit(bytes[index]) else { throw Self.invalid(bytes[index], "after decimal point in numeric literal") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            whole = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count else { throw Self.unexpectedEnd }
            guard isDigit(bytes[index]) else { throw Self.invalid(bytes[index], "in exponent of numeric literal") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if whole, let integer = Int64(text) { return .int(integer) }
        guard let double = Double(text), double.isFinite else {
            throw JSONParseError(description: "json: cannot unmarshal number \(text) into Go value of type float64")
        }
        if let integer = Int64(exactly: double) { return .int(integer) }
        return .double(double)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }
}

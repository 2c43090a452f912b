import HCL

// Literal conformances keep expected values in the tests readable. They live
// in the test target so the library's public API stays exactly as specified.

extension HCLValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension HCLValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
}

extension HCLValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .number(value) }
}

extension HCLValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension HCLValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: HCLValue...) { self = .list(elements) }
}

extension HCLValue: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, HCLValue)...) {
        self = .object(HCLObject(entries: elements.map { (key: $0.0, value: $0.1) }))
    }
}

extension HCLObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, HCLValue)...) {
        self.init(entries: elements.map { (key: $0.0, value: $0.1) })
    }
}

/// The error a parse fails with, or nil if it succeeds.
func hclParseError(_ text: String) -> HCLError? {
    do {
        _ = try HCL.parse(text)
        return nil
    } catch {
        return error
    }
}

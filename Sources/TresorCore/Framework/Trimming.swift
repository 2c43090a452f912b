extension StringProtocol {
    /// Without leading and trailing Unicode whitespace (newlines included), as Go's
    /// strings.TrimSpace. Foundation's trimmingCharacters builds a character set and bridges
    /// through NSString; this runs for every policy name and request content type.
    public func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }) else { return "" }
        let last = lastIndex(where: { !$0.isWhitespace })!
        return String(self[first...last])
    }
}

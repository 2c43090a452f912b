extension StringProtocol {
    /// Without leading and trailing Unicode whitespace (newlines included), as Go's
    /// strings.TrimSpace. Foundation's trimmingCharacters builds a character set and bridges
    /// through NSString; this runs for every policy name and request content type.
    public func trimmingWhitespace() -> String { trimming(where: \.isWhitespace) }

    /// Without the leading and trailing characters that match, e.g. the slashes around a path.
    public func trimming(where matches: (Character) -> Bool) -> String {
        guard let first = firstIndex(where: { !matches($0) }) else { return "" }
        let last = lastIndex(where: { !matches($0) })!
        return String(self[first...last])
    }
}

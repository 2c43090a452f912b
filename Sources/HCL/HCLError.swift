/// A parse failure, located at the token that caused it (or, for constructs
/// that never end, at the place where they began).
public struct HCLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line number.
    public let line: Int
    /// 1-based column, counted in Unicode scalars so it matches what editors show.
    public let column: Int
    public let message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        "At \(line):\(column): \(message)"
    }
}

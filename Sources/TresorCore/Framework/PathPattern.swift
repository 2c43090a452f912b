/// A backend path pattern such as `data/{path+}` or `roles/{name}`.
///
/// `{name}` captures one segment (no "/"), `{name+}` one or more characters of anything,
/// `{name*}` zero or more. Everything else is literal. Patterns are matched against the whole
/// path relative to the mount.
public struct PathPattern: Sendable, Hashable, CustomStringConvertible {
    enum Piece: Sendable, Hashable {
        case literal(String)
        case segment(String)
        case rest(String, allowEmpty: Bool)
    }

    let pieces: [Piece]
    public let description: String
    /// The literal the pattern starts with, as bytes: most patterns of a backend fail on it, and
    /// a byte comparison says so before any capture is made (routing tries them in order).
    private let leading: [UInt8]

    public init(_ pattern: String) {
        description = pattern
        var pieces: [Piece] = []
        var literal = ""
        var index = pattern.startIndex
        while index < pattern.endIndex {
            let c = pattern[index]
            if c == "{", let close = pattern[index...].firstIndex(of: "}") {
                if !literal.isEmpty { pieces.append(.literal(literal)); literal = "" }
                var name = String(pattern[pattern.index(after: index)..<close])
                if name.hasSuffix("+") {
                    name.removeLast()
                    pieces.append(.rest(name, allowEmpty: false))
                } else if name.hasSuffix("*") {
                    name.removeLast()
                    pieces.append(.rest(name, allowEmpty: true))
                } else {
                    pieces.append(.segment(name))
                }
                index = pattern.index(after: close)
            } else {
                literal.append(c)
                index = pattern.index(after: index)
            }
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        self.pieces = pieces
        if case .literal(let text)? = pieces.first { leading = Array(text.utf8) } else { leading = [] }
    }

    /// The path this pattern matches with these captures: the inverse of `match`.
    public func render(_ captures: [String: String]) -> String {
        var path = ""
        for piece in pieces {
            switch piece {
            case .literal(let text): path += text
            case .segment(let name), .rest(let name, _): path += captures[name] ?? ""
            }
        }
        return path
    }

    /// The captured values when `path` matches, else nil.
    public func match(_ path: String) -> [String: String]? {
        guard path.utf8.starts(with: leading) else { return nil }
        var captures: [String: String] = [:]
        return matchFrom(0, Substring(path), &captures) ? captures : nil
    }

    private func matchFrom(_ i: Int, _ rest: Substring, _ captures: inout [String: String]) -> Bool {
        guard i < pieces.count else { return rest.isEmpty }
        switch pieces[i] {
        case .literal(let text):
            guard rest.hasPrefix(text) else { return false }
            return matchFrom(i + 1, rest.dropFirst(text.count), &captures)
        case .segment(let name):
            let end = rest.firstIndex(of: "/") ?? rest.endIndex
            guard end > rest.startIndex else { return false }
            // A segment capture is followed by a literal or the end; try the whole segment.
            captures[name] = String(rest[..<end])
            return matchFrom(i + 1, rest[end...], &captures)
        case .rest(let name, let allowEmpty):
            if i == pieces.count - 1 {
                guard allowEmpty || !rest.isEmpty else { return false }
                captures[name] = String(rest)
                return true
            }
            // A capture in the middle: take the longest prefix that lets the remainder match.
            var end = rest.endIndex
            while true {
                if allowEmpty || end > rest.startIndex {
                    var attempt = captures
                    attempt[name] = String(rest[..<end])
                    if matchFrom(i + 1, rest[end...], &attempt) {
                        captures = attempt
                        return true
                    }
                }
                if end == rest.startIndex { return false }
                end = rest.index(before: end)
            }
        }
    }
}

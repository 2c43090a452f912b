/// Vault's table layout (the columnize library): cells trimmed, empty cells "n/a", each column
/// as wide as its widest cell, four spaces between columns, the last cell never padded.
enum Columns {
    static let secretDelimiter: Character = "♨"

    static func format(_ rows: [[String]], header: [String]? = nil) -> String {
        var all: [[String]] = []
        if let header {
            all.append(header)
            all.append(header.map { String(repeating: "-", count: $0.trimmingSpaces().count) })
        }
        all += rows
        let cells = all.map { row in row.map { cell -> String in
            let trimmed = cell.trimmingSpaces()
            return trimmed.isEmpty ? "n/a" : trimmed
        } }
        var widths: [Int] = []
        for row in cells {
            for (i, cell) in row.enumerated() {
                let width = cell.unicodeScalars.count
                if i < widths.count { widths[i] = max(widths[i], width) } else { widths.append(width) }
            }
        }
        return cells.map { row in
            var line = ""
            for (i, cell) in row.enumerated() {
                if i == row.count - 1 {
                    line += cell
                } else {
                    line += cell + String(repeating: " ", count: widths[i] - cell.unicodeScalars.count) + "    "
                }
            }
            return line
        }.joined(separator: "\n")
    }

    /// Key/Value rows built like Vault's "key ♨ value" strings: a value holding the delimiter
    /// splits into more cells, as it does there.
    static func keyValue(_ pairs: [(String, String)]) -> String {
        guard !pairs.isEmpty else { return "" }
        let rows = pairs.map { pair in
            ("\(pair.0) \(secretDelimiter) \(pair.1)").split(separator: secretDelimiter, omittingEmptySubsequences: false).map(String.init)
        }
        return format(rows, header: ["Key", "Value"])
    }
}

extension String {
    /// Whitespace trimmed at both ends (Unicode-aware, like Go's strings.TrimSpace).
    func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}

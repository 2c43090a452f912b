extension HCLLexer {
    /// Lexes `<<MARKER` / `<<-MARKER` heredocs. The text is taken verbatim (no
    /// escapes), each line keeps its trailing newline, and CRLF becomes LF.
    ///
    /// For `<<-`, the indentation of the closing marker is removed from every
    /// line, which is how Vault's HCL reads indented heredocs. Unlike Vault, a
    /// blank line with less indentation does not cancel the stripping, because
    /// editors routinely trim trailing whitespace from blank lines.
    mutating func lexHeredoc(line: Int, column: Int) throws(HCLError) -> HCLToken {
        guard peek(1) == HCLByte.less else {
            throw HCLError(line: line, column: column, message: "unexpected character '<'")
        }
        advance(by: 2)
        let stripsIndent = current == HCLByte.minus
        if stripsIndent {
            advance()
        }
        let markerStart = index
        while let byte = current, HCLByte.isHeredocMarkerByte(byte) {
            advance()
        }
        let marker = bytes[markerStart..<index]
        guard !marker.isEmpty else {
            throw HCLError(line: line, column: column, message: "expected a heredoc marker after '<<'")
        }
        let markerName = HCLToken.quote(String(decoding: marker, as: UTF8.self))
        while let byte = current, HCLByte.isInlineSpace(byte) || byte == HCLByte.carriageReturn {
            advance()
        }
        guard current == HCLByte.newline || current == nil else {
            throw HCLError(
                line: self.line, column: self.column,
                message: "heredoc marker \(markerName) must be followed by a newline")
        }

        var lines: [ArraySlice<UInt8>] = []
        while current == HCLByte.newline {
            advance()
            let lineStart = index
            var lineEnd = index
            while lineEnd < bytes.count && bytes[lineEnd] != HCLByte.newline {
                lineEnd += 1
            }
            var content = bytes[lineStart..<lineEnd]
            if content.last == HCLByte.carriageReturn {
                content = content.dropLast()
            }
            advance(by: lineEnd - lineStart)
            if let indent = Self.closingIndent(of: content, marker: marker) {
                let text = Self.assemble(lines, removing: stripsIndent ? indent : [])
                return HCLToken(kind: .string(text), line: line, column: column)
            }
            lines.append(content)
        }
        throw HCLError(
            line: line, column: column,
            message: "unterminated heredoc: closing marker \(markerName) not found")
    }

    /// The leading whitespace of `line` if it is the closing marker, else nil.
    private static func closingIndent(of line: ArraySlice<UInt8>, marker: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        var start = line.startIndex
        while start < line.endIndex && HCLByte.isInlineSpace(line[start]) {
            start += 1
        }
        var end = line.endIndex
        while end > start && HCLByte.isInlineSpace(line[end - 1]) {
            end -= 1
        }
        return line[start..<end].elementsEqual(marker) ? line[line.startIndex..<start] : nil
    }

    private static func assemble(_ lines: [ArraySlice<UInt8>], removing indent: ArraySlice<UInt8>) -> String {
        let isBlank = { (line: ArraySlice<UInt8>) in line.allSatisfy(HCLByte.isInlineSpace) }
        let strip = !indent.isEmpty && lines.allSatisfy { isBlank($0) || $0.starts(with: indent) }
        var output: [UInt8] = []
        for line in lines {
            if !strip {
                output.append(contentsOf: line)
            } else if line.starts(with: indent) {
                output.append(contentsOf: line.dropFirst(indent.count))
            }
            // A blank line shorter than the indent contributes nothing but its newline.
            output.append(HCLByte.newline)
        }
        return String(decoding: output, as: UTF8.self)
    }
}

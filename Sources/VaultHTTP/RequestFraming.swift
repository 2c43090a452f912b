/// Follows HTTP/1.1 request framing over a connection's raw bytes, so the LIST rewriter knows
/// where each request line starts — also when several pipelined requests arrive in one read.
///
/// It mirrors the parser behind it (llhttp) on well-formed requests: a head ends at an empty
/// line; its body is `Content-Length` bytes or a chunked body. On anything it does not follow
/// exactly (another transfer coding, both framings at once, an oversized head), it stops
/// marking request starts for the rest of the connection: a LIST there then reaches the parser
/// unrewritten and is refused with 400, so a disagreement can only ever refuse a request, never
/// rewrite bytes inside another one.
struct RequestFraming {
    enum State: Equatable {
        /// Before a request line (blank lines between pipelined requests are skipped).
        case requestStart
        case head
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        /// Lost track: no request start is marked any more.
        case untracked
    }

    static let maxHeadSize = 64 * 1024
    static let maxLineSize = 4 * 1024

    private(set) var state = State.requestStart
    private var line: [UInt8] = []
    private var head: [UInt8] = []

    /// Consumes bytes from `start` on and returns the offset of the next request start in
    /// `bytes` (the first byte of its request line), or nil if none begins in this stretch. After
    /// a returned start the caller resumes with `enterRequestLine()` and the same offset.
    mutating func nextRequestStart(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var index = start
        let count = bytes.count
        let newline = UInt8(ascii: "\n")
        while index < count {
            switch state {
            case .requestStart:
                let current = bytes[index]
                if current == UInt8(ascii: "\r") || current == newline {
                    index += 1
                    continue
                }
                return index
            case .head:
                // A line at a time: most of a head is passed over in bulk.
                let complete = Self.takeLine(bytes, &index, into: &head)
                if head.count > Self.maxHeadSize {
                    state = .untracked
                } else if complete, headEnded() {
                    state = framingAfterHead()
                    head.removeAll(keepingCapacity: true)
                }
            case .body(let remaining):
                let taken = min(remaining, count - index)
                index += taken
                state = remaining == taken ? .requestStart : .body(remaining: remaining - taken)
            case .chunkSize, .trailers, .chunkDataEnd:
                let complete = Self.takeLine(bytes, &index, into: &line)
                if line.count > Self.maxLineSize {
                    state = .untracked
                } else if complete {
                    state = afterLine()
                    line.removeAll(keepingCapacity: true)
                }
            case .chunkData(let remaining):
                let taken = min(remaining, count - index)
                index += taken
                state = remaining == taken ? .chunkDataEnd : .chunkData(remaining: remaining - taken)
            case .untracked:
                return nil
            }
        }
        return nil
    }

    /// Appends the bytes up to and including the next "\n" (or to the end of `bytes`) to
    /// `collected`, moves `index` past them, and says whether the line is complete.
    private static func takeLine(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int, into collected: inout [UInt8]) -> Bool {
        let end = bytes[index...].firstIndex(of: UInt8(ascii: "\n"))
        let stop = end.map { $0 + 1 } ?? bytes.count
        collected.append(contentsOf: bytes[index..<stop])
        index = stop
        return end != nil
    }

    /// Called at a request start once the caller has looked at (and maybe rewritten) its method.
    mutating func enterRequestLine() {
        if state == .requestStart { state = .head }
    }

    private func headEnded() -> Bool {
        // "\r\n\r\n", or the bare "\n\n" and "\n\r\n" the parser also accepts.
        let n = head.count
        if n >= 2 && head[n - 2] == UInt8(ascii: "\n") { return true }
        return n >= 3 && head[n - 2] == UInt8(ascii: "\r") && head[n - 3] == UInt8(ascii: "\n")
    }

    private static let contentLength = Array("content-length".utf8)
    private static let transferEncoding = Array("transfer-encoding".utf8)

    /// Whether `name` is `target` in any letter case (ASCII).
    private static func isName(_ name: ArraySlice<UInt8>, _ target: [UInt8]) -> Bool {
        name.count == target.count && zip(name, target).allSatisfy { ($0 | 0x20) == $1 }
    }

    private func framingAfterHead() -> State {
        var contentLength: Int?
        var chunked = false
        var sawTransferEncoding = false
        for raw in head.split(separator: UInt8(ascii: "\n")).dropFirst() {
            guard let colon = raw.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = raw[raw.startIndex..<colon]
            // A header name with white space before the colon is refused by the parser.
            if name.last == UInt8(ascii: " ") || name.last == UInt8(ascii: "\t") { return .untracked }
            let isLength = Self.isName(name, Self.contentLength)
            guard isLength || Self.isName(name, Self.transferEncoding) else { continue }
            let value = String(decoding: raw[(colon + 1)...], as: UTF8.self).trimmingHTTPWhitespace()
            if isLength {
                guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let length = Int(value),
                      contentLength == nil || contentLength == length else { return .untracked }
                contentLength = length
            } else {
                if sawTransferEncoding { return .untracked }
                sawTransferEncoding = true
                guard value.lowercased() == "chunked" else { return .untracked }
                chunked = true
            }
        }
        if chunked { return contentLength == nil ? .chunkSize : .untracked }
        if let contentLength, contentLength > 0 { return .body(remaining: contentLength) }
        return .requestStart
    }

    private func afterLine() -> State {
        let text = String(decoding: line, as: UTF8.self).trimmingHTTPWhitespace()
        switch state {
        case .chunkSize:
            let digits = text.split(separator: ";", maxSplits: 1).first.map { String($0).trimmingHTTPWhitespace() } ?? ""
            guard !digits.isEmpty, digits.count <= 15, let size = Int(digits, radix: 16) else { return .untracked }
            return size == 0 ? .trailers : .chunkData(remaining: size)
        case .chunkDataEnd:
            return text.isEmpty ? .chunkSize : .untracked
        case .trailers:
            return text.isEmpty ? .requestStart : .trailers
        default:
            return .untracked
        }
    }
}

extension String {
    /// Without leading and trailing spaces, tabs, CR and LF: the white space HTTP framing allows.
    func trimmingHTTPWhitespace() -> String {
        let bytes = Array(utf8)
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}

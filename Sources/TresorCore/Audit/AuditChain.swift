import Crypto
import Foundation

/// Checks the hash chain of an audit log: each line's `prev_hash` must be the SHA-256 of the
/// line before it. The first line may point anywhere (it continues a rotated file's chain).
public enum AuditChain {
    public struct Report: Sendable, Equatable {
        public let lines: Int
        /// 1-based number of the first line whose link to its predecessor is broken.
        public let brokenAt: Int?
        public let reason: String?
        /// The hash the first line continues from (the end of the previous file), if any.
        public let startsAfter: String
    }

    public static func hash(_ line: some Collection<UInt8>) -> String {
        SHA256.hash(data: Array(line)).hexString
    }

    public static func verify(_ contents: [UInt8]) -> Report {
        var lines = contents.split(separator: 0x0a, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        var previous: String?
        var startsAfter = ""
        for (index, line) in lines.enumerated() {
            let number = index + 1
            guard let object = try? JSONReader.parseObject(Array(line)), case .string(let prev)? = object["prev_hash"] else {
                return Report(lines: lines.count, brokenAt: number, reason: "line \(number) is not an audit entry with a prev_hash", startsAfter: startsAfter)
            }
            if let previous {
                if prev != previous {
                    return Report(lines: lines.count, brokenAt: number,
                                  reason: "line \(number) does not follow line \(number - 1): line \(number - 1) was changed, or lines were removed or inserted between them",
                                  startsAfter: startsAfter)
                }
            } else {
                startsAfter = prev
            }
            previous = hash(line)
        }
        return Report(lines: lines.count, brokenAt: nil, reason: nil, startsAfter: startsAfter)
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// CIDR blocks for `bound_cidrs` options: does an address fall inside one of them?
public enum CIDR {
    /// Parses "10.0.0.0/8", "192.168.1.5" (a single host) or IPv6 forms into bytes and a prefix length.
    public static func parse(_ text: String) -> (bytes: [UInt8], prefix: Int)? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let bytes = address(String(first)) else { return nil }
        let prefix = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
        guard let prefix, prefix >= 0, prefix <= bytes.count * 8 else { return nil }
        return (bytes, prefix)
    }

    public static func address(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    public static func contains(_ block: String, address text: String) -> Bool {
        guard let (network, prefix) = parse(block), let candidate = address(text) else { return false }
        return contains(network: network, prefix: prefix, candidate)
    }

    private static func contains(network: [UInt8], prefix: Int, _ candidate: [UInt8]) -> Bool {
        guard candidate.count == network.count else { return false }
        var remaining = prefix
        for i in 0..<network.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if network[i] & mask != candidate[i] & mask { return false }
            remaining -= bits
        }
        return true
    }

    public static func contains(any blocks: [String], address: String) -> Bool {
        blocks.contains { contains($0, address: address) }
    }

    /// Whether every block of `inner` lies inside some block of `outer` (an empty `outer` bounds nothing).
    public static func isSubset(_ inner: [String], of outer: [String]) -> Bool {
        guard !outer.isEmpty else { return true }
        return inner.allSatisfy { block in
            guard let (network, prefix) = parse(block) else { return false }
            return outer.contains { container in
                guard let (outerNetwork, outerPrefix) = parse(container), outerPrefix <= prefix else { return false }
                return contains(network: outerNetwork, prefix: outerPrefix, network)
            }
        }
    }

    /// Checks a list given by an operator, naming the first bad entry.
    public static func validate(_ blocks: [String]) throws(TresorError) {
        for block in blocks where parse(block) == nil {
            throw .badRequest("invalid CIDR block \"\(block)\"")
        }
    }
}

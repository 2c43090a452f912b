import Foundation
import TresorJSON

/// What falls due: a lease (by lease id) or a service token (by the salted hash of its id).
@_spi(Server) public enum ExpiryKind: String, Sendable {
    case lease = "l"
    case token = "t"
}

/// One deadline as the expiry index holds it.
@_spi(Server) public struct ExpiryDeadline: Sendable, Hashable {
    public let kind: ExpiryKind
    public let id: String
    /// Milliseconds since 1970: the index orders by it.
    public let millis: Int64

    public init(kind: ExpiryKind, id: String, at deadline: Date) {
        self.kind = kind
        self.id = id
        millis = ExpiryIndex.millis(deadline)
    }

    init(kind: ExpiryKind, id: String, millis: Int64) {
        self.kind = kind
        self.id = id
        self.millis = millis
    }

    public var deadline: Date { Date(timeIntervalSince1970: Double(millis) / 1000) }

    /// The leaf name under `ExpiryIndex.prefix`: keys sort by deadline because the time is
    /// zero-padded, then by kind and id. The id is hex so that a lease id's slashes never make
    /// a folder, and the name alone says everything (the stored value is empty).
    public var name: String {
        let time = String(millis)
        let hexID = kind == .token ? id : Array(id.utf8).hexString
        return String(repeating: "0", count: max(0, ExpiryIndex.digits - time.utf8.count)) + time + "-" + kind.rawValue + "-" + hexID
    }

    public var key: String { ExpiryIndex.prefix + name }
}

/// Leases and tokens ordered by expiry time in storage (`sys/expire/due/<time>-<kind>-<id>`),
/// written in the same transaction as the lease or token they index. Memory holds only the
/// coming window of it (`ExpiryWindow`); unseal reads none of it.
@_spi(Server) public enum ExpiryIndex {
    public static let prefix = "sys/expire/due/"
    /// Present once every stored lease and token has its index entry; servers from before the
    /// index build it once at unseal.
    static let builtMarker = "sys/expire/due-index-built"
    static let digits = 15
    static let maxMillis: Int64 = 999_999_999_999_999

    static func millis(_ date: Date) -> Int64 {
        let value = (date.timeIntervalSince1970 * 1000).rounded(.down)
        guard value.isFinite, value > 0 else { return 0 }
        return value >= Double(maxMillis) ? maxMillis : Int64(value)
    }

    /// Parses a leaf name; nil for anything this scheme did not write.
    public static func parse(_ name: String) -> ExpiryDeadline? {
        let parts = name.split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].utf8.count == digits, parts[0].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let millis = Int64(parts[0]), let kind = ExpiryKind(rawValue: String(parts[1])), !parts[2].isEmpty else { return nil }
        switch kind {
        case .token:
            guard parts[2].utf8.allSatisfy(isHexDigit) else { return nil }
            return ExpiryDeadline(kind: kind, id: String(parts[2]), millis: millis)
        case .lease:
            guard let bytes = decodeHex(parts[2]), let id = String(validating: bytes, as: UTF8.self) else { return nil }
            return ExpiryDeadline(kind: kind, id: id, millis: millis)
        }
    }

    static func add(_ deadline: ExpiryDeadline, to storage: Storage) async throws {
        try await storage.put(deadline.key, [])
    }

    static func remove(_ deadline: ExpiryDeadline, from storage: Storage) async throws {
        try await storage.delete(deadline.key)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 97 && byte <= 102)
    }

    private static func decodeHex(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0, digits.allSatisfy(isHexDigit) else { return nil }
        func value(_ d: UInt8) -> UInt8 { d <= 57 ? d - 48 : d - 87 }
        return stride(from: 0, to: digits.count, by: 2).map { value(digits[$0]) << 4 | value(digits[$0 + 1]) }
    }
}

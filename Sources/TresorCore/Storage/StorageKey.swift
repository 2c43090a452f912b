/// A storage key that compares and hashes as UTF-8 bytes.
///
/// Swift's `String` equality treats canonically equivalent text as one string: "KEYS" spelt
/// with a Kelvin sign (U+212A) equals "KEYS", and "é" equals "e" + U+0301. The ACL, SQLite and
/// PostgreSQL all compare bytes, so a map keyed by `String` could answer a request for one key
/// with another key's value, lock or buffered write — past a policy that denies the other key.
/// Every in-memory map of storage keys is keyed by this type instead.
public struct StorageKey: Hashable, Sendable, CustomStringConvertible {
    public let string: String

    public init(_ string: String) { self.string = string }

    public static func == (a: StorageKey, b: StorageKey) -> Bool {
        a.string.utf8.elementsEqual(b.string.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        var string = string
        string.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    public var description: String { string }

    /// Whether `key` lies strictly below `prefix`, byte for byte.
    public static func isBelow(_ key: String, _ prefix: String) -> Bool {
        key.utf8.count > prefix.utf8.count && key.utf8.starts(with: prefix.utf8)
    }

    /// Whether `key` starts with `prefix`, byte for byte.
    public static func hasPrefix(_ key: String, _ prefix: String) -> Bool {
        key.utf8.starts(with: prefix.utf8)
    }
}

/// Turns a full key under `prefix` into the child name that `list` reports: the next segment,
/// with its "/" when it is a folder. Counts bytes, never Characters: a combining mark after the
/// prefix's last "/" would otherwise fuse with it and shift the cut.
public func childName(of key: String, under prefix: String) -> String {
    let rest = key.utf8.dropFirst(prefix.utf8.count)
    if let slash = rest.firstIndex(of: UInt8(ascii: "/")) {
        return String(decoding: rest[...slash], as: UTF8.self)
    }
    return String(decoding: rest, as: UTF8.self)
}

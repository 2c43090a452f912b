import Foundation

/// A stored record mapped to and from `JSONValue` by hand. Records that are read and rewritten on
/// every request (KV metadata and versions) use this instead of Foundation's Codable coders, whose
/// containers cost more than the rest of the write. The Codable conformance is derived from the
/// mapping, so such a record still nests inside Codable ones and keeps one stored format.
public protocol JSONDocument: Codable, Sendable {
    init(storedJSON: JSONValue) throws
    var storedJSON: JSONValue { get }
}

extension JSONDocument {
    public init(from decoder: Decoder) throws { try self.init(storedJSON: JSONValue(from: decoder)) }
    public func encode(to encoder: Encoder) throws { try storedJSON.encode(to: encoder) }
}

/// Reads the members of a stored JSON object. Storage holds only what Tresor wrote, so a missing
/// or mistyped member means corruption and is an internal error, never the client's.
public struct StoredObject {
    public let members: [String: JSONValue]
    /// Named only when something is wrong: formatting a type name costs a demangling.
    private let type: Any.Type

    public init(_ value: JSONValue, of type: Any.Type) throws {
        self.type = type
        guard case .object(let members) = value else { throw Self.corrupt(type, "not an object") }
        self.members = members
    }

    private static func corrupt(_ type: Any.Type, _ detail: String) -> TresorError {
        .internalError("stored \(type) is corrupt: \(detail)")
    }

    private func require<T>(_ key: String, _ read: (JSONValue) -> T?) throws -> T {
        guard let member = members[key], let value = read(member) else { throw Self.corrupt(type, "bad \(key)") }
        return value
    }

    public func bool(_ key: String) throws -> Bool { try require(key) { $0.boolValue } }
    public func string(_ key: String) throws -> String { try require(key) { $0.stringValue } }
    public func int64(_ key: String) throws -> Int64 { try require(key, StoredObject.int64) }
    public func double(_ key: String) throws -> Double { try require(key, StoredObject.double) }
    public func integer<T: FixedWidthInteger>(_ key: String, as type: T.Type = T.self) throws -> T {
        try require(key) { StoredObject.int64($0).flatMap(T.init(exactly:)) }
    }
    /// A member that is itself a hand-mapped record (or an array of them).
    public func document<T: JSONDocument>(_ key: String, as type: T.Type = T.self) throws -> T {
        guard let member = members[key] else { throw Self.corrupt(self.type, "bad \(key)") }
        return try T(storedJSON: member)
    }

    /// Dates are stored as Foundation's Codable writes them: seconds since 2001-01-01.
    public func date(_ key: String) throws -> Date { Date(timeIntervalSinceReferenceDate: try double(key)) }

    /// A member that may be absent or null.
    public func optional<T>(_ key: String, _ read: (StoredObject, String) throws -> T) throws -> T? {
        guard let member = members[key], !member.isNull else { return nil }
        return try read(self, key)
    }

    public func stringMap(_ key: String) throws -> [String: String] {
        try require(key) { value in
            guard case .object(let object) = value else { return nil }
            var map: [String: String] = [:]
            for (name, item) in object {
                guard let text = item.stringValue else { return nil }
                map[name] = text
            }
            return map
        }
    }

    public func strings(_ key: String) throws -> [String] {
        try require(key) { value in
            guard case .array(let items) = value else { return nil }
            var strings: [String] = []
            strings.reserveCapacity(items.count)
            for item in items {
                guard let text = item.stringValue else { return nil }
                strings.append(text)
            }
            return strings
        }
    }

    public static func int64(_ value: JSONValue) -> Int64? {
        switch value {
        case .int(let i): return i
        case .double(let d): return Int64(exactly: d)
        default: return nil
        }
    }

    public static func double(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
}

/// A table of records (mounts, audit devices) is stored as a JSON array of them.
extension Array: JSONDocument where Element: JSONDocument {
    public init(storedJSON: JSONValue) throws {
        guard case .array(let items) = storedJSON else {
            throw TresorError.internalError("stored list of \(Element.self) is corrupt: not an array")
        }
        self = try items.map(Element.init(storedJSON:))
    }

    public var storedJSON: JSONValue { .array(map(\.storedJSON)) }
}

extension Date {
    /// The stored form `StoredObject.date` reads back.
    public var storedJSON: JSONValue { .double(timeIntervalSinceReferenceDate) }
}

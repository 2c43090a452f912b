import Crypto
import Foundation

/// The barrier's encryption keys by term. Rotation adds a term and makes it active; older terms
/// stay so that values written under them still open.
@_spi(Server) public struct Keyring: Sendable {
    public struct Term: Sendable {
        public let term: UInt32
        public let key: SymmetricKey
        public let installTime: Date
        /// Values encrypted under this term, as last written to storage (Vault's `encryptions`).
        public var encryptions: Int64 = 0
    }

    public private(set) var terms: [UInt32: Term]
    public private(set) var activeTerm: UInt32

    public init(firstKey: SymmetricKey = SymmetricKey(size: .bits256), now: Date = Date()) {
        terms = [1: Term(term: 1, key: firstKey, installTime: now)]
        activeTerm = 1
    }

    public var active: Term { terms[activeTerm]! }

    /// The keyring with `count` more encryptions charged to the active term.
    func counting(_ count: Int64) -> Keyring {
        var copy = self
        copy.terms[activeTerm]!.encryptions += count
        return copy
    }

    public func rotated(now: Date = Date()) -> Keyring {
        var copy = self
        let next = activeTerm + 1
        copy.terms[next] = Term(term: next, key: SymmetricKey(size: .bits256), installTime: now)
        copy.activeTerm = next
        return copy
    }

    /// The stored form, with the member names synthesized Codable gave it.
    struct Stored: JSONDocument {
        struct Key: JSONDocument {
            let term: UInt32
            let value: String
            let install_time: Date
            let encryptions: Int64
        }
        let active_term: UInt32
        let keys: [Key]
    }

    func serialized() throws -> [UInt8] {
        let stored = Stored(
            active_term: activeTerm,
            keys: terms.values.sorted { $0.term < $1.term }.map {
                Stored.Key(term: $0.term, value: $0.key.withUnsafeBytes { Data($0).base64EncodedString() }, install_time: $0.installTime,
                           encryptions: $0.encryptions)
            })
        return try JSONValue.encodeStored(stored)
    }

    init(serialized bytes: [UInt8]) throws {
        let stored = try JSONValue.decodeStored(Stored.self, from: bytes)
        var terms: [UInt32: Term] = [:]
        for key in stored.keys {
            guard let raw = Data(base64Encoded: key.value), raw.count == 32 else {
                throw TresorError.internalError("keyring entry \(key.term) is malformed")
            }
            terms[key.term] = Term(term: key.term, key: SymmetricKey(data: raw), installTime: key.install_time, encryptions: key.encryptions)
        }
        guard terms[stored.active_term] != nil else {
            throw TresorError.internalError("keyring has no active term")
        }
        self.terms = terms
        self.activeTerm = stored.active_term
    }
}

extension Keyring.Stored {
    init(storedJSON: JSONValue) throws {
        let stored = try StoredObject(storedJSON, of: Self.self)
        active_term = try stored.integer("active_term")
        keys = try stored.document("keys")
    }

    var storedJSON: JSONValue { ["active_term": .int(Int64(active_term)), "keys": keys.storedJSON] }
}

extension Keyring.Stored.Key {
    init(storedJSON: JSONValue) throws {
        let stored = try StoredObject(storedJSON, of: Self.self)
        term = try stored.integer("term")
        value = try stored.string("value")
        install_time = try stored.date("install_time")
        // Absent in keyrings written before the count was kept.
        encryptions = try stored.optional("encryptions") { try $0.int64($1) } ?? 0
    }

    var storedJSON: JSONValue {
        ["term": .int(Int64(term)), "value": .string(value), "install_time": install_time.storedJSON, "encryptions": .int(encryptions)]
    }
}

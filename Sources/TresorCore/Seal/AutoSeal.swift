/// A key service outside Tresor that protects the root key, so the server can unseal itself at
/// start: a static key from the operator, or another server's transit engine.
public protocol AutoSeal: Sendable {
    /// The seal type as seal-status reports it: "static", "transit".
    var type: String { get }
    func encrypt(_ plaintext: [UInt8]) async throws -> [UInt8]
    func decrypt(_ ciphertext: [UInt8]) async throws -> [UInt8]
}

/// Why an auto-unseal failed, in words for the operator.
public struct AutoSealError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

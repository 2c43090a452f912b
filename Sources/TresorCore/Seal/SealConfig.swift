/// How the root key is protected. Stored in plaintext (it holds no secret) so a sealed server
/// can report its seal status.
public struct SealConfig: JSONDocument, Equatable {
    public var type: String
    public var secretShares: Int
    public var secretThreshold: Int

    public init(type: String = "shamir", secretShares: Int, secretThreshold: Int) {
        self.type = type
        self.secretShares = secretShares
        self.secretThreshold = secretThreshold
    }

    /// Member names as synthesized Codable wrote them.
    public init(storedJSON: JSONValue) throws {
        let stored = try StoredObject(storedJSON, of: Self.self)
        type = try stored.string("type")
        secretShares = try stored.integer("secretShares")
        secretThreshold = try stored.integer("secretThreshold")
    }

    public var storedJSON: JSONValue {
        ["type": .string(type), "secretShares": .int(Int64(secretShares)), "secretThreshold": .int(Int64(secretThreshold))]
    }
}

@_spi(Server) public struct InitResult: Sendable {
    public let keys: [[UInt8]]
    public let recoveryKeys: [[UInt8]]
    public let rootToken: String
}

/// How the root key is protected. Stored in plaintext (it holds no secret) so a sealed server
/// can report its seal status.
public struct SealConfig: Codable, Sendable, Equatable {
    public var type: String
    public var secretShares: Int
    public var secretThreshold: Int

    public init(type: String = "shamir", secretShares: Int, secretThreshold: Int) {
        self.type = type
        self.secretShares = secretShares
        self.secretThreshold = secretThreshold
    }
}

@_spi(Server) public struct InitResult: Sendable {
    public let keys: [[UInt8]]
    public let recoveryKeys: [[UInt8]]
    public let rootToken: String
}

import Foundation

/// A named key (`identity/oidc/key/:name`): the key pair that signs now, the one that will sign
/// after the next rotation (published ahead, so verifiers have it before it is used), and the
/// public halves of rotated-out pairs until their verification TTL runs out.
struct OIDCNamedKey: Codable, Sendable {
    var name: String
    var algorithm: OIDCAlgorithm = .rs256
    var rotationPeriod: Int64 = 86_400
    var verificationTTL: Int64 = 86_400
    var allowedClientIDs: [String] = []
    var current: OIDCSigningKey?
    var next: OIDCSigningKey?
    var retired: [OIDCPublicKey] = []
    var nextRotation: Date?

    /// The `default` key exists on every server, usable by every role, its key pairs made the
    /// first time a role uses it.
    static func defaultKey() -> OIDCNamedKey { OIDCNamedKey(name: "default", allowedClientIDs: ["*"]) }

    func allows(clientID: String) -> Bool { allowedClientIDs.contains("*") || allowedClientIDs.contains(clientID) }

    /// Makes key pairs if there are none yet: a new key, or `default` on first use.
    mutating func ensurePairs(now: Date) throws {
        guard current == nil || next == nil else { return }
        current = try current ?? OIDCSigningKey.generate(algorithm)
        next = try next ?? OIDCSigningKey.generate(algorithm)
        nextRotation = now.addingTimeInterval(TimeInterval(rotationPeriod))
    }

    /// The next pair starts signing and a new next pair is made; the outgoing pair stays
    /// verifiable for `verificationTTL`. After an algorithm change both pairs are replaced.
    mutating func rotate(now: Date, replaceAll: Bool = false) throws {
        let expiry = now.addingTimeInterval(TimeInterval(verificationTTL))
        if let current { retired.append(try current.publicKey(expireAt: expiry)) }
        if replaceAll, let next { retired.append(try next.publicKey(expireAt: expiry)) }
        current = replaceAll || next == nil ? try OIDCSigningKey.generate(algorithm) : next
        next = try OIDCSigningKey.generate(algorithm)
        nextRotation = now.addingTimeInterval(TimeInterval(rotationPeriod))
    }

    /// Rotated-out public keys whose verification TTL has passed leave; true if any did.
    mutating func pruneRetired(now: Date) -> Bool {
        let before = retired.count
        retired.removeAll { ($0.expireAt ?? .distantFuture) <= now }
        return retired.count != before
    }

    /// Every public key a verifier may need: current, next and the still-valid retired ones.
    func publicKeys(now: Date) throws -> [OIDCPublicKey] {
        var keys = retired.filter { ($0.expireAt ?? .distantFuture) > now }
        if let current { keys.append(try current.publicKey()) }
        if let next { keys.append(try next.publicKey()) }
        return keys
    }
}

/// A role (`identity/oidc/role/:name`): who the tokens are for (`client_id`, the audience),
/// which key signs them, how long they live and which claims the template adds.
struct OIDCRole: Codable, Sendable {
    var name: String
    var key: String
    var template: String = ""
    var clientID: String
    var ttl: Int64 = 86_400
}

/// `identity/oidc/config`.
struct OIDCConfig: Codable, Sendable {
    var issuer: String = ""
}

/// Where the identity-token state lives under the barrier, read in one request's transaction.
struct OIDCStore {
    let storage: Storage

    static let keyPrefix = "sys/identity/oidc/key/"
    static let rolePrefix = "sys/identity/oidc/role/"
    static let configKey = "sys/identity/oidc/config"

    func config() async throws -> OIDCConfig { try await storage.document(Self.configKey, as: OIDCConfig.self) ?? OIDCConfig() }
    func save(_ config: OIDCConfig) async throws { try await storage.putJSON(Self.configKey, config) }

    /// A stored key, or `default` as it is before anything was stored for it.
    func key(_ name: String) async throws -> OIDCNamedKey? {
        if let stored = try await storage.document(Self.keyPrefix + name, as: OIDCNamedKey.self) { return stored }
        return name == "default" ? OIDCNamedKey.defaultKey() : nil
    }

    func keyNames() async throws -> [String] {
        let stored = try await storage.list(Self.keyPrefix).filter { !$0.hasSuffix("/") }
        return Array(Set(stored + ["default"])).sorted()
    }

    func save(_ key: OIDCNamedKey) async throws {
        await storage.lock(Self.keyPrefix + key.name)
        try await storage.putJSON(Self.keyPrefix + key.name, key)
    }

    func deleteKey(_ name: String) async throws { try await storage.delete(Self.keyPrefix + name) }

    func role(_ name: String) async throws -> OIDCRole? { try await storage.document(Self.rolePrefix + name, as: OIDCRole.self) }
    func roleNames() async throws -> [String] { try await storage.list(Self.rolePrefix).filter { !$0.hasSuffix("/") }.sorted() }
    func roles() async throws -> [OIDCRole] {
        var roles: [OIDCRole] = []
        for name in try await roleNames() { if let role = try await role(name) { roles.append(role) } }
        return roles
    }

    func save(_ role: OIDCRole) async throws {
        await storage.lock(Self.rolePrefix + role.name)
        try await storage.putJSON(Self.rolePrefix + role.name, role)
    }

    func deleteRole(_ name: String) async throws { try await storage.delete(Self.rolePrefix + name) }
}

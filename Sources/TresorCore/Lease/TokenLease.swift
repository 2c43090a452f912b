import Foundation

/// Service tokens are leases too, as in Vault: each has an entry under `sys/expire/id/` named
/// by the path that created it and its salted hash (`auth/token/create/<hash>`), so that
/// `sys/leases/lookup` lists them and `revoke-prefix auth/userpass/` revokes what a method
/// issued. The entry holds only a marker and the hash: the token record stays the one truth.
extension TokenStore {
    static let leaseMarkerPrefix = "token:"

    static func leaseID(_ entry: TokenEntry) -> String {
        var path = entry.path
        while path.hasSuffix("/") { path.removeLast() }
        return path + "/" + entry.id
    }

    static func leaseKey(_ entry: TokenEntry) -> String { Core.leasePrefix + leaseID(entry) }

    static func leaseMarker(_ entry: TokenEntry) -> [UInt8] { Array((leaseMarkerPrefix + entry.id).utf8) }

    /// The token hash a stored lease value names, when it is a token's marker.
    static func tokenHash(fromLeaseValue bytes: [UInt8]) -> String? {
        let marker = Array(leaseMarkerPrefix.utf8)
        guard bytes.count > marker.count, bytes.starts(with: marker) else { return nil }
        return String(decoding: bytes[marker.count...], as: UTF8.self)
    }
}

/// A stored lease: a secret's, or a token's marker.
enum StoredLease: Sendable {
    case secret(LeaseEntry)
    case token(TokenEntry)
}

extension Core {
    /// The lease `id`, a secret's or a token's; nil when unknown.
    func storedLease(_ id: String) async throws -> StoredLease? {
        guard !id.isEmpty, !id.contains(".."), let bytes = try await direct.get(Self.leasePrefix + id) else { return nil }
        if let hash = TokenStore.tokenHash(fromLeaseValue: bytes) {
            guard let token = try await tokens.lookup(hash: hash, storage: direct) else { return nil }
            return .token(token)
        }
        return .secret(try JSONValue.decodeStored(LeaseEntry.self, from: bytes))
    }

    /// `sys/leases/lookup` of a token's lease, in the shape of a secret's.
    static func tokenLeaseJSON(_ token: TokenEntry, now: Date) -> [String: JSONValue] {
        [
            "id": .string(TokenStore.leaseID(token)),
            "issue_time": .string(GoFormat.time(token.issueTime)),
            "expire_time": token.expireTime.map { .string(GoFormat.time($0)) } ?? .null,
            "last_renewal": token.lastRenewalTime.map { .string(GoFormat.time($0)) } ?? .null,
            "renewable": .bool(token.renewable),
            "ttl": .int(token.expireTime.map { max(0, SafeNumbers.seconds(until: $0.timeIntervalSince(now).rounded(.down))) } ?? 0),
        ]
    }

    /// Only the token itself, the token that created it, or root, may renew or revoke a
    /// token's lease.
    func checkTokenLeaseOwner(_ token: TokenEntry, caller: TokenEntry?) throws {
        guard let caller, caller.isRoot || caller.id == token.id || caller.id == token.parent else { throw TresorError.permissionDenied }
    }

    func revokeTokenLease(_ token: TokenEntry) async throws {
        try await withTransaction { tx in try await tokens.revokeTree(hash: token.id, storage: tx) }
    }
}

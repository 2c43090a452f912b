import Foundation

/// Response wrapping: a response is kept behind a single-use token (policy `response-wrapping`,
/// one use, its TTL the one asked for), and the caller gets only `wrap_info`. Whoever holds the
/// token unwraps it once; a second unwrap, or one after the TTL, fails. The response is kept in
/// the core's own storage under the token's salted hash and dies with the token.
extension Core {
    static let wrappingPolicyName = "response-wrapping"
    static let wrappedPrefix = "core/wrapping/"
    static let invalidWrappingToken = TresorError.badRequest("wrapping token is not valid or does not exist")

    /// What a wrapped response is stored as: enough to answer it again exactly.
    struct WrappedResponse: Codable, Sendable {
        var data: [String: JSONValue]?
        var warnings: [String]
        var auth: StoredAuth?
        var leaseID: String
        var leaseDuration: Int64
        var renewable: Bool
        var creationPath: String
        var creationTime: Date
        var creationTTL: Int64

        struct StoredAuth: Codable, Sendable {
            var clientToken, accessor: String
            var policies, tokenPolicies: [String]
            var metadata: [String: String]
            var leaseDuration: Int64
            var renewable, orphan: Bool
            var numUses: Int64
            var tokenType: String
        }

        init(_ response: LogicalResponse, path: String, time: Date, ttl: Int64) {
            data = response.data
            warnings = response.warnings
            auth = response.auth.map {
                StoredAuth(clientToken: $0.clientToken, accessor: $0.accessor, policies: $0.policies, tokenPolicies: $0.tokenPolicies,
                           metadata: $0.metadata, leaseDuration: $0.leaseDuration, renewable: $0.renewable, orphan: $0.orphan,
                           numUses: $0.numUses, tokenType: $0.tokenType)
            }
            leaseID = response.lease?.leaseID ?? ""
            leaseDuration = response.lease?.duration ?? 0
            renewable = response.lease?.renewable ?? false
            creationPath = path
            creationTime = time
            creationTTL = ttl
        }

        var response: LogicalResponse {
            var response = LogicalResponse(data: data, warnings: warnings)
            response.auth = auth.map {
                AuthResponse(clientToken: $0.clientToken, accessor: $0.accessor, policies: $0.policies, tokenPolicies: $0.tokenPolicies,
                             metadata: $0.metadata, leaseDuration: $0.leaseDuration, renewable: $0.renewable, orphan: $0.orphan,
                             numUses: $0.numUses, tokenType: $0.tokenType)
            }
            if !leaseID.isEmpty || leaseDuration > 0 {
                response.lease = LeaseResponse(leaseID: leaseID, duration: leaseDuration, renewable: renewable)
            }
            return response
        }
    }

    /// The X-Vault-Wrap-TTL header: seconds or a Go duration, refused when it does not parse.
    public static func wrapTTL(header: String?) throws(TresorError) -> Int64 {
        guard let header, !header.isEmpty else { return 0 }
        guard let seconds = DurationParser.seconds(header), seconds >= 0 else {
            throw TresorError.badRequest("error parsing X-Vault-Wrap-TTL header: invalid duration \"\(header)\"")
        }
        return seconds
    }

    /// Keeps `response` behind a new wrapping token and answers with its `wrap_info` only.
    func wrap(_ response: LogicalResponse, path: String, ttl: Int64, storage: Storage, now: Date? = nil) async throws -> LogicalResponse {
        let time = now ?? clock()
        var params = TokenParams()
        params.policies = [Self.wrappingPolicyName]
        params.noDefaultPolicy = true
        params.numUses = 1
        params.ttl = ttl
        params.explicitMaxTTL = ttl
        params.renewable = false
        params.orphan = true
        params.path = path
        params.responseWrapping = true
        let (token, entry) = try await tokens.create(params, parent: nil, storage: storage, now: time)
        try await storage.putJSON(Self.wrappedPrefix + entry.id, WrappedResponse(response, path: path, time: time, ttl: entry.creationTTL))
        var wrapped = LogicalResponse()
        wrapped.wrapInfo = WrapInfo(token: token, accessor: entry.accessor, ttl: entry.creationTTL, creationTime: time,
                                    creationPath: path, wrappedAccessor: response.auth?.accessor)
        return wrapped
    }

    /// The wrapping token named by `token` (or, when empty, the caller's own), and what it keeps.
    func wrapped(token: String, caller: TokenEntry?, storage: Storage) async throws -> (TokenEntry, WrappedResponse) {
        let entry: TokenEntry?
        if token.isEmpty {
            entry = caller
        } else {
            entry = try await tokens.lookup(token: token, storage: storage)
        }
        // A spent wrapping token (numUses -1 after the caller's own use) is still the caller's here.
        guard let entry, entry.policies == [Self.wrappingPolicyName],
              let kept = try await storage.getJSON(Self.wrappedPrefix + entry.id, as: WrappedResponse.self) else {
            throw Self.invalidWrappingToken
        }
        return (entry, kept)
    }

    /// `sys/wrapping/unwrap`: the kept response, once; the token is revoked with the request.
    func unwrap(token: String, caller: TokenEntry?, storage: Storage) async throws -> LogicalResponse {
        let (entry, kept) = try await wrapped(token: token, caller: caller, storage: storage)
        try await tokens.revokeTree(hash: entry.id, storage: storage)
        return kept.response
    }

    /// `sys/wrapping/rewrap`: the same response behind a fresh token with the same TTL and
    /// creation path; the old token is revoked.
    func rewrap(token: String, caller: TokenEntry?, storage: Storage) async throws -> LogicalResponse {
        let (entry, kept) = try await wrapped(token: token, caller: caller, storage: storage)
        try await tokens.revokeTree(hash: entry.id, storage: storage)
        return try await wrap(kept.response, path: kept.creationPath, ttl: kept.creationTTL, storage: storage)
    }

    /// `sys/wrapping/lookup`: where and when a wrapping token was made, without using it.
    func lookupWrapping(token: String, storage: Storage) async throws -> LogicalResponse {
        guard !token.isEmpty else {
            throw TresorError(.permissionDenied, status: 403, messages: ["error validating wrapping token: token is empty"])
        }
        let (_, kept) = try await wrapped(token: token, caller: nil, storage: storage)
        return LogicalResponse(data: [
            "creation_path": .string(kept.creationPath),
            "creation_time": .string(SystemBackend.iso.format(kept.creationTime)),
            "creation_ttl": .int(kept.creationTTL),
        ])
    }

    /// The wrapping token's revocation (used, expired or revoked) takes its response with it.
    func forgetWrapped(_ entry: TokenEntry, storage: Storage) async throws {
        guard entry.policies == [Self.wrappingPolicyName] else { return }
        try await storage.delete(Self.wrappedPrefix + entry.id)
    }
}

/// What a handler answers. `nil` from a handler means "nothing to say": 204 for writes, 404 for reads.
public struct LogicalResponse: Sendable {
    public var data: [String: JSONValue]?
    public var warnings: [String]
    public var auth: AuthResponse?
    /// Set by an auth method's login; the core issues the token and fills in `auth`.
    public var login: LoginGrant?
    /// Set by an engine handing out a leased secret; the core registers the lease and fills in `lease`.
    public var secret: SecretGrant?
    public var lease: LeaseResponse?
    /// Some sys endpoints answer a bare JSON document with their own status (health, seal-status).
    public var raw: RawResponse?
    /// Vault's legacy sys endpoints repeat `data` at the top level of the body.
    public var dataAtTopLevel: Bool
    /// A status other than 200 for a full envelope (KV v2 answers 404 with metadata for a deleted version).
    public var statusCode: Int?
    /// Set when the response was wrapped: all the caller gets is the wrapping token.
    public var wrapInfo: WrapInfo?

    public init(data: [String: JSONValue]? = nil, warnings: [String] = [], auth: AuthResponse? = nil,
                lease: LeaseResponse? = nil, dataAtTopLevel: Bool = false, login: LoginGrant? = nil) {
        self.login = login
        self.data = data
        self.warnings = warnings
        self.auth = auth
        self.lease = lease
        self.raw = nil
        self.dataAtTopLevel = dataAtTopLevel
        self.statusCode = nil
    }

    public static func raw(status: Int, body: JSONValue?) -> LogicalResponse {
        var response = LogicalResponse()
        response.raw = RawResponse(status: status, body: body)
        return response
    }

    /// A non-JSON body with its content type; an empty body answers 204, as Vault's raw
    /// fetch paths do when there is nothing to fetch.
    public static func bytes(_ bytes: [UInt8], contentType: String, status: Int = 200) -> LogicalResponse {
        var response = LogicalResponse()
        response.raw = bytes.isEmpty && status == 200
            ? RawResponse(status: 204, body: nil)
            : RawResponse(status: status, body: nil, bytes: bytes, contentType: contentType)
        return response
    }

    public static func list(_ keys: [String]) -> LogicalResponse? {
        keys.isEmpty ? nil : LogicalResponse(data: ["keys": JSONValue(keys)])
    }
}

public struct RawResponse: Sendable {
    public var status: Int
    public var body: JSONValue?
    /// A body that is not JSON (a DER certificate, a PEM chain, an OCSP response), sent as is
    /// with `contentType`.
    public var bytes: [UInt8]?
    public var contentType: String?

    public init(status: Int, body: JSONValue?, bytes: [UInt8]? = nil, contentType: String? = nil) {
        self.status = status
        self.body = body
        self.bytes = bytes
        self.contentType = contentType
    }
}

public struct LeaseResponse: Sendable {
    public var leaseID: String
    public var duration: Int64
    public var renewable: Bool

    public init(leaseID: String = "", duration: Int64, renewable: Bool) {
        self.leaseID = leaseID
        self.duration = duration
        self.renewable = renewable
    }
}

/// The `auth` block of a login or token-create answer.
public struct AuthResponse: Sendable {
    public var clientToken: String
    public var accessor: String
    public var policies: [String]
    public var tokenPolicies: [String]
    public var metadata: [String: String]
    public var leaseDuration: Int64
    public var renewable: Bool
    public var orphan: Bool
    public var numUses: Int64
    public var tokenType: String
    public var entityID = ""
    /// Policies from the token's entity and groups; `policies` in the JSON includes them.
    public var identityPolicies: [String] = []

    public init(clientToken: String, accessor: String, policies: [String], tokenPolicies: [String],
                metadata: [String: String], leaseDuration: Int64, renewable: Bool, orphan: Bool,
                numUses: Int64, tokenType: String = "service") {
        self.clientToken = clientToken
        self.accessor = accessor
        self.policies = policies
        self.tokenPolicies = tokenPolicies
        self.metadata = metadata
        self.leaseDuration = leaseDuration
        self.renewable = renewable
        self.orphan = orphan
        self.numUses = numUses
        self.tokenType = tokenType
    }

    public var json: JSONValue {
        var json: [String: JSONValue] = [
            "client_token": .string(clientToken),
            "accessor": .string(accessor),
            "policies": JSONValue(policies),
            "token_policies": JSONValue(tokenPolicies),
            "metadata": metadata.isEmpty ? .null : JSONValue(metadata),
            "lease_duration": .int(leaseDuration),
            "renewable": .bool(renewable),
            "entity_id": .string(entityID),
            "token_type": .string(tokenType),
            "orphan": .bool(orphan),
            "mfa_requirement": .null,
            "num_uses": .int(numUses),
        ]
        if !identityPolicies.isEmpty {
            json["policies"] = JSONValue(Array(Set(policies + identityPolicies)).sorted())
            json["identity_policies"] = JSONValue(identityPolicies)
        }
        return .object(json)
    }
}

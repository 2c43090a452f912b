import Foundation

public struct MountConfig: Codable, Sendable, Equatable {
    public var defaultLeaseTTL: Int64 = 0
    public var maxLeaseTTL: Int64 = 0
    public var forceNoCache = false
    public var listingVisibility: String = ""
    public var auditNonHMACRequestKeys: [String] = []
    public var auditNonHMACResponseKeys: [String] = []
    public var passthroughRequestHeaders: [String] = []
    public var allowedResponseHeaders: [String] = []
    public var tokenType: String = ""

    public init() {}
}

/// One row of the mount table (secrets engines) or the auth table (auth methods).
public struct MountEntry: Codable, Sendable, Equatable {
    public var path: String
    public var type: String
    public var description: String
    public var uuid: String
    public var accessor: String
    public var config: MountConfig
    public var options: [String: String]
    public var local: Bool
    public var sealWrap: Bool
    public var externalEntropyAccess: Bool
    public var kind: BackendKind

    public init(path: String, type: String, description: String = "", kind: BackendKind,
                config: MountConfig = MountConfig(), options: [String: String] = [:], local: Bool = false,
                sealWrap: Bool = false, externalEntropyAccess: Bool = false) {
        self.path = path
        self.type = type
        self.description = description
        self.uuid = RandomUUID.string()
        self.accessor = "\(kind == .auth ? "auth_" : "")\(type)_\(TokenCrypto.randomString(8).lowercased())"
        self.config = config
        self.options = options
        self.local = local
        self.sealWrap = sealWrap
        self.externalEntropyAccess = externalEntropyAccess
        self.kind = kind
    }

    /// Whether a login through an auth mount tuned to `tuned` gets a batch token, its role
    /// having asked for `requested`: `service` and `batch` mounts decide, `default-*` mounts
    /// follow the role and fall back to their own type.
    static func issuesBatchTokens(tuned: String, requested: String) -> Bool {
        switch tuned {
        case "service": return false
        case "batch": return true
        case "default-batch": return requested != "service"
        default: return requested == "batch"
        }
    }

    /// Refuses a `token_type` an auth mount cannot be tuned to.
    static func validate(tokenType: String, mountType: String) throws(TresorError) {
        guard !tokenType.isEmpty else { return }
        guard mountType != "token" else { throw TresorError.badRequest("'token_type' cannot be set for 'token' or 'ns_token' auth mounts") }
        guard ["default-service", "default-batch", "service", "batch"].contains(tokenType) else {
            throw TresorError.badRequest("invalid value for 'token_type'")
        }
    }

    /// Where the backend's data lives; keyed by UUID so a remount keeps its data.
    public var storagePrefix: String {
        kind == .auth ? "auth/\(uuid)/" : "logical/\(uuid)/"
    }

    /// The path as seen from `/v1/`: auth methods live under `auth/`.
    public var routePath: String {
        kind == .auth ? "auth/" + path : path
    }

    /// The mount as `sys/mounts` and `sys/auth` describe it.
    public func describe(effectiveDefaultTTL: Int64? = nil, effectiveMaxTTL: Int64? = nil) -> JSONValue {
        var config: [String: JSONValue] = [
            "default_lease_ttl": .int(self.config.defaultLeaseTTL),
            "max_lease_ttl": .int(self.config.maxLeaseTTL),
            "force_no_cache": .bool(self.config.forceNoCache),
        ]
        if !self.config.listingVisibility.isEmpty { config["listing_visibility"] = .string(self.config.listingVisibility) }
        if !self.config.auditNonHMACRequestKeys.isEmpty { config["audit_non_hmac_request_keys"] = JSONValue(self.config.auditNonHMACRequestKeys) }
        if !self.config.auditNonHMACResponseKeys.isEmpty { config["audit_non_hmac_response_keys"] = JSONValue(self.config.auditNonHMACResponseKeys) }
        if !self.config.passthroughRequestHeaders.isEmpty { config["passthrough_request_headers"] = JSONValue(self.config.passthroughRequestHeaders) }
        if !self.config.allowedResponseHeaders.isEmpty { config["allowed_response_headers"] = JSONValue(self.config.allowedResponseHeaders) }
        if kind == .auth || type == "token" { config["token_type"] = .string(self.config.tokenType.isEmpty ? "default-service" : self.config.tokenType) }
        return [
            "accessor": .string(accessor),
            "config": .object(config),
            "description": .string(description),
            "external_entropy_access": .bool(externalEntropyAccess),
            "local": .bool(local),
            "options": options.isEmpty ? .null : JSONValue(options),
            "plugin_version": "",
            "running_plugin_version": .string(Self.builtinVersion),
            "running_sha256": "",
            "seal_wrap": .bool(sealWrap),
            "type": .string(type),
            "uuid": .string(uuid),
            "deprecation_status": "supported",
        ]
    }

    public static let builtinVersion = "v\(TresorVersion.current)+builtin.tresor"
}

public enum TresorVersion {
    /// The Vault API level Tresor speaks; clients gate features on this.
    public static let current = "2.4.0"
}

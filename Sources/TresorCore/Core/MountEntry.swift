import Foundation

public struct MountConfig: JSONDocument, Equatable {
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
public struct MountEntry: JSONDocument, Equatable {
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

// The mount and auth tables are read and written at every unseal and mount change; stored with
// the member names synthesized Codable gave them.
extension MountConfig {
    public init(storedJSON: JSONValue) throws {
        let stored = try StoredObject(storedJSON, of: Self.self)
        defaultLeaseTTL = try stored.int64("defaultLeaseTTL")
        maxLeaseTTL = try stored.int64("maxLeaseTTL")
        forceNoCache = try stored.bool("forceNoCache")
        listingVisibility = try stored.string("listingVisibility")
        auditNonHMACRequestKeys = try stored.strings("auditNonHMACRequestKeys")
        auditNonHMACResponseKeys = try stored.strings("auditNonHMACResponseKeys")
        passthroughRequestHeaders = try stored.strings("passthroughRequestHeaders")
        allowedResponseHeaders = try stored.strings("allowedResponseHeaders")
        tokenType = try stored.string("tokenType")
    }

    public var storedJSON: JSONValue {
        [
            "defaultLeaseTTL": .int(defaultLeaseTTL),
            "maxLeaseTTL": .int(maxLeaseTTL),
            "forceNoCache": .bool(forceNoCache),
            "listingVisibility": .string(listingVisibility),
            "auditNonHMACRequestKeys": JSONValue(auditNonHMACRequestKeys),
            "auditNonHMACResponseKeys": JSONValue(auditNonHMACResponseKeys),
            "passthroughRequestHeaders": JSONValue(passthroughRequestHeaders),
            "allowedResponseHeaders": JSONValue(allowedResponseHeaders),
            "tokenType": .string(tokenType),
        ]
    }
}

extension MountEntry {
    public init(storedJSON: JSONValue) throws {
        let stored = try StoredObject(storedJSON, of: Self.self)
        path = try stored.string("path")
        type = try stored.string("type")
        description = try stored.string("description")
        uuid = try stored.string("uuid")
        accessor = try stored.string("accessor")
        config = try stored.document("config")
        options = try stored.stringMap("options")
        local = try stored.bool("local")
        sealWrap = try stored.bool("sealWrap")
        externalEntropyAccess = try stored.bool("externalEntropyAccess")
        guard let kind = BackendKind(rawValue: try stored.string("kind")) else {
            throw TresorError.internalError("stored MountEntry is corrupt: bad kind")
        }
        self.kind = kind
    }

    public var storedJSON: JSONValue {
        [
            "path": .string(path),
            "type": .string(type),
            "description": .string(description),
            "uuid": .string(uuid),
            "accessor": .string(accessor),
            "config": config.storedJSON,
            "options": JSONValue(options),
            "local": .bool(local),
            "sealWrap": .bool(sealWrap),
            "externalEntropyAccess": .bool(externalEntropyAccess),
            "kind": .string(kind.rawValue),
        ]
    }
}

public enum TresorVersion {
    /// The Vault API level Tresor speaks; clients gate features on this.
    public static let current = "2.4.0"
}

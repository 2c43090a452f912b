import Foundation

/// The `sys/` backend: health and seal state, mounts, auth methods, policies and capability
/// queries. It is an ordinary backend on the router; only its fields know about the core.
struct SystemBackend: LogicalBackend {
    let core: Core
    public let paths: [PathSpec]
    public let specialPaths = SpecialPaths(
        unauthenticated: ["health", "seal-status", "leader", "init", "unseal", "internal/ui/mounts", "internal/ui/mounts/*", "wrapping/lookup"],
        root: ["auth/*", "remount", "audit", "audit/*", "raw", "raw/*", "rotate", "rotate/*", "seal", "step-down",
               "revoke-prefix/*", "revoke-force/*", "leases/revoke-prefix/*", "leases/revoke-force/*", "leases/lookup/*"] + SystemBackend.generateRootSudoPaths + SystemBackend.rekeySudoPaths,
        allowedWhenSealed: ["health", "seal-status", "leader", "init", "unseal"])

    init(core: Core) {
        self.core = core
        paths = Self.statusPaths(core) + Self.mountPaths(core) + Self.authPaths(core) + Self.policyPaths(core)
            + Self.capabilityPaths(core) + Self.internalPaths(core) + Self.auditPaths(core) + Self.leasePaths(core)
            + Self.wrappingPaths(core) + Self.generateRootPaths(core) + Self.rekeyPaths(core) + Self.hostPaths(core)
            + Self.quotaPaths(core) + Self.metricsPaths(core)
    }
}

extension SystemBackend {
    static func mountFields() -> [FieldSpec] {
        [
            FieldSpec("path", .string), FieldSpec("type", .string), FieldSpec("description", .string),
            FieldSpec("config", .map), FieldSpec("options", .keyValuePairs), FieldSpec("local", .bool),
            FieldSpec("seal_wrap", .bool), FieldSpec("external_entropy_access", .bool),
            FieldSpec("plugin_name", .string), FieldSpec("plugin_version", .string),
        ]
    }

    static func tuneFields() -> [FieldSpec] {
        [
            FieldSpec("path", .string), FieldSpec("default_lease_ttl", .string), FieldSpec("max_lease_ttl", .string),
            FieldSpec("description", .string), FieldSpec("options", .keyValuePairs),
            FieldSpec("audit_non_hmac_request_keys", .commaStringSlice), FieldSpec("audit_non_hmac_response_keys", .commaStringSlice),
            FieldSpec("listing_visibility", .string), FieldSpec("passthrough_request_headers", .commaStringSlice),
            FieldSpec("allowed_response_headers", .commaStringSlice), FieldSpec("token_type", .string),
            FieldSpec("plugin_version", .string), FieldSpec("force_no_cache", .bool),
        ]
    }

    /// Builds a mount entry from an enable request's fields.
    static func entry(from fields: FieldData, path: String, kind: BackendKind) throws -> MountEntry {
        let type = try fields.string("type").isEmpty ? try fields.string("plugin_name") : try fields.string("type")
        guard !type.isEmpty else { throw TresorError.badRequest("backend type must be specified as a string") }
        var config = MountConfig()
        let rawConfig = try fields.map("config") ?? [:]
        let configSchema = FieldData(raw: rawConfig, schema: Dictionary(uniqueKeysWithValues: [
            FieldSpec("default_lease_ttl", .duration), FieldSpec("max_lease_ttl", .duration), FieldSpec("force_no_cache", .bool),
            FieldSpec("listing_visibility", .string), FieldSpec("audit_non_hmac_request_keys", .commaStringSlice),
            FieldSpec("audit_non_hmac_response_keys", .commaStringSlice), FieldSpec("passthrough_request_headers", .commaStringSlice),
            FieldSpec("allowed_response_headers", .commaStringSlice), FieldSpec("token_type", .string),
        ].map { ($0.name, $0) }))
        try configSchema.validate()
        config.defaultLeaseTTL = try configSchema.duration("default_lease_ttl")
        config.maxLeaseTTL = try configSchema.duration("max_lease_ttl")
        config.forceNoCache = try configSchema.bool("force_no_cache")
        config.listingVisibility = try configSchema.string("listing_visibility")
        config.auditNonHMACRequestKeys = try configSchema.strings("audit_non_hmac_request_keys")
        config.auditNonHMACResponseKeys = try configSchema.strings("audit_non_hmac_response_keys")
        config.passthroughRequestHeaders = try configSchema.strings("passthrough_request_headers")
        config.allowedResponseHeaders = try configSchema.strings("allowed_response_headers")
        config.tokenType = try configSchema.string("token_type")
        if kind == .auth {
            try MountEntry.validate(tokenType: config.tokenType, mountType: type)
        } else if !config.tokenType.isEmpty {
            throw TresorError.badRequest("'token_type' can only be set on auth mounts")
        }
        if config.maxLeaseTTL > 0 && config.defaultLeaseTTL > config.maxLeaseTTL {
            throw TresorError.badRequest("given default lease TTL greater than given max lease TTL")
        }
        var options = try fields.stringMap("options") ?? [:]
        // The CLI also sends options nested in config for old servers.
        if options.isEmpty, let nested = rawConfig["options"]?.objectValue {
            options = nested.compactMapValues(\.stringValue)
        }
        return MountEntry(path: path, type: type, description: try fields.string("description"), kind: kind,
                          config: config, options: options, local: try fields.bool("local"),
                          sealWrap: try fields.bool("seal_wrap"), externalEntropyAccess: try fields.bool("external_entropy_access"))
    }

    static func tuneResponse(_ entry: MountEntry, system: TTLDefaults) -> LogicalResponse {
        let ttl = system.effective(for: entry)
        var data: [String: JSONValue] = [
            "default_lease_ttl": .int(ttl.defaultTTL),
            "max_lease_ttl": .int(ttl.maxTTL),
            "force_no_cache": .bool(entry.config.forceNoCache),
            "description": .string(entry.description),
        ]
        if !entry.options.isEmpty { data["options"] = JSONValue(entry.options) }
        if entry.kind == .auth { data["token_type"] = .string(entry.config.tokenType.isEmpty ? "default-service" : entry.config.tokenType) }
        if !entry.config.listingVisibility.isEmpty { data["listing_visibility"] = .string(entry.config.listingVisibility) }
        if !entry.config.auditNonHMACRequestKeys.isEmpty { data["audit_non_hmac_request_keys"] = JSONValue(entry.config.auditNonHMACRequestKeys) }
        if !entry.config.auditNonHMACResponseKeys.isEmpty { data["audit_non_hmac_response_keys"] = JSONValue(entry.config.auditNonHMACResponseKeys) }
        if !entry.config.passthroughRequestHeaders.isEmpty { data["passthrough_request_headers"] = JSONValue(entry.config.passthroughRequestHeaders) }
        if !entry.config.allowedResponseHeaders.isEmpty { data["allowed_response_headers"] = JSONValue(entry.config.allowedResponseHeaders) }
        return LogicalResponse(data: data, dataAtTopLevel: true)
    }

    /// Applies a tune request to a mount entry.
    static func applyTune(_ fields: FieldData, to entry: inout MountEntry) throws {
        if fields.has("default_lease_ttl") {
            let raw = try fields.string("default_lease_ttl")
            guard let seconds = raw == "system" ? 0 : DurationParser.seconds(raw) else {
                throw TresorError.badRequest("unable to parse default TTL of \(raw)")
            }
            entry.config.defaultLeaseTTL = seconds
        }
        if fields.has("max_lease_ttl") {
            let raw = try fields.string("max_lease_ttl")
            guard let seconds = raw == "system" ? 0 : DurationParser.seconds(raw) else {
                throw TresorError.badRequest("unable to parse max TTL of \(raw)")
            }
            entry.config.maxLeaseTTL = seconds
        }
        if entry.config.maxLeaseTTL > 0 && entry.config.defaultLeaseTTL > entry.config.maxLeaseTTL {
            throw TresorError.badRequest("backend max lease TTL of \(entry.config.maxLeaseTTL) would be less than backend default lease TTL of \(entry.config.defaultLeaseTTL)")
        }
        if fields.has("description") { entry.description = try fields.string("description") }
        if fields.has("options"), let options = try fields.stringMap("options") {
            for (key, value) in options { entry.options[key] = value }
        }
        if fields.has("listing_visibility") { entry.config.listingVisibility = try fields.string("listing_visibility") }
        if fields.has("audit_non_hmac_request_keys") { entry.config.auditNonHMACRequestKeys = try fields.strings("audit_non_hmac_request_keys") }
        if fields.has("audit_non_hmac_response_keys") { entry.config.auditNonHMACResponseKeys = try fields.strings("audit_non_hmac_response_keys") }
        if fields.has("passthrough_request_headers") { entry.config.passthroughRequestHeaders = try fields.strings("passthrough_request_headers") }
        if fields.has("allowed_response_headers") { entry.config.allowedResponseHeaders = try fields.strings("allowed_response_headers") }
        if fields.has("token_type") {
            let type = try fields.string("token_type")
            if entry.kind == .auth {
                try MountEntry.validate(tokenType: type, mountType: entry.type)
            } else if !type.isEmpty {
                throw TresorError.badRequest("'token_type' can only be modified on auth mounts")
            }
            entry.config.tokenType = type
        }
        if fields.has("force_no_cache") { entry.config.forceNoCache = try fields.bool("force_no_cache") }
    }

    static func listing(_ mounts: [MountEntry]) -> [String: JSONValue] {
        var data: [String: JSONValue] = [:]
        for mount in mounts { data[mount.path] = mount.describe() }
        return data
    }
}

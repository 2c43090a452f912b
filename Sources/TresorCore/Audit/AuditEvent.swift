import Foundation

/// One thing to audit: a request before it takes effect, or its outcome after.
@_spi(Server) public struct AuditEvent: Sendable {
    public enum Kind: String, Sendable { case request, response }

    public var kind: Kind
    public var time: Date
    public var request: LogicalRequest
    public var operation: LogicalOperation
    public var mount: MountEntry?
    public var token: TokenEntry?
    public var response: LogicalResponse?
    public var error: String
    /// Set when no path of the mount matched: the part below the mount is then logged as an
    /// HMAC, since a malformed path may carry a secret (`auth/token/lookup/<token>`, the form
    /// Vault retired) and must not reach the log in clear.
    public var hidesPathBelowMount = false

    public init(kind: Kind, request: LogicalRequest, operation: LogicalOperation, mount: MountEntry?, token: TokenEntry?,
                response: LogicalResponse? = nil, error: String = "", time: Date = Date()) {
        self.kind = kind
        self.time = time
        self.request = request
        self.operation = operation
        self.mount = mount
        self.token = token
        self.response = response
        self.error = error
    }
}

/// Options of one device that shape its entries.
struct AuditFormat: Sendable {
    let hasher: AuditHasher
    let hmacAccessor: Bool
    let elideListResponses: Bool

    init(options: [String: String], salt: [UInt8]) {
        hasher = AuditHasher(salt: salt, raw: Self.flag(options["log_raw"], default: false))
        hmacAccessor = Self.flag(options["hmac_accessor"], default: true)
        elideListResponses = Self.flag(options["elide_list_responses"], default: false)
    }

    static func flag(_ value: String?, default fallback: Bool) -> Bool {
        guard let value else { return fallback }
        return ["1", "t", "true", "yes"].contains(value.lowercased())
    }

    private func accessor(_ value: String) -> String {
        hmacAccessor ? hasher.maybeHash(value) : value
    }

    /// The entry as Vault writes it, with every secret value replaced by its HMAC.
    func entry(_ event: AuditEvent) -> [String: JSONValue] {
        var entry: [String: JSONValue] = [
            "time": .string(GoFormat.time(event.time)),
            "type": .string(event.kind.rawValue),
        ]
        // Each appears twice in the entry; an HMAC is worth computing once.
        let clientToken = JSONValue.string(hasher.maybeHash(event.request.clientToken))
        let tokenAccessor = JSONValue.string(accessor(event.token?.accessor ?? ""))
        if let token = event.token {
            entry["auth"] = [
                "client_token": clientToken,
                "accessor": tokenAccessor,
                "display_name": .string(token.displayName),
                "policies": JSONValue(token.policies),
                "token_policies": JSONValue(token.policies),
                "metadata": token.meta.isEmpty ? .null : JSONValue(token.meta),
                "entity_id": "",
                "token_type": .string(token.type),
                "token_ttl": .int(token.creationTTL),
                "token_issue_time": .string(GoFormat.time(token.issueTime)),
            ]
        }
        let requestKeys = Set(event.mount?.config.auditNonHMACRequestKeys ?? [])
        var path = event.request.path
        if event.hidesPathBelowMount, let mount = event.mount, StorageKey.isBelow(path, mount.routePath) {
            path = mount.routePath + hasher.maybeHash(String(decoding: path.utf8.dropFirst(mount.routePath.utf8.count), as: UTF8.self))
        }
        var request: [String: JSONValue] = [
            "id": .string(event.request.id),
            "operation": .string(event.operation.rawValue),
            "path": .string(path),
            "client_token": clientToken,
            "client_token_accessor": tokenAccessor,
            "namespace": ["id": "root"],
            "remote_address": .string(event.request.remoteAddress ?? ""),
        ]
        if !event.request.data.isEmpty {
            request["data"] = hasher.hashStrings(.object(event.request.data), except: requestKeys)
        }
        if let mount = event.mount {
            request["mount_point"] = .string(mount.routePath)
            request["mount_type"] = .string(mount.type)
            request["mount_accessor"] = .string(mount.accessor)
            request["mount_class"] = .string(mount.kind == .auth ? "auth" : "secret")
        }
        entry["request"] = .object(request)
        if event.kind == .response {
            entry["response"] = .object(responseJSON(event))
        }
        if !event.error.isEmpty { entry["error"] = .string(event.error) }
        return entry
    }

    private func responseJSON(_ event: AuditEvent) -> [String: JSONValue] {
        var response: [String: JSONValue] = [:]
        if let mount = event.mount {
            response["mount_point"] = .string(mount.routePath)
            response["mount_type"] = .string(mount.type)
            response["mount_accessor"] = .string(mount.accessor)
        }
        guard let logical = event.response else { return response }
        let responseKeys = Set(event.mount?.config.auditNonHMACResponseKeys ?? [])
        var data = logical.data ?? logical.raw?.body?.objectValue
        if elideListResponses, event.operation == .list, let keys = data?["keys"]?.arrayValue {
            data?["keys"] = .int(Int64(keys.count))
        }
        if let data { response["data"] = hasher.hashStrings(.object(data), except: responseKeys) }
        if let auth = logical.auth {
            response["auth"] = [
                "client_token": .string(hasher.maybeHash(auth.clientToken)),
                "accessor": .string(accessor(auth.accessor)),
                "policies": JSONValue(auth.policies),
                "token_policies": JSONValue(auth.tokenPolicies),
                "metadata": auth.metadata.isEmpty ? .null : JSONValue(auth.metadata),
                "token_ttl": .int(auth.leaseDuration),
                "token_type": .string(auth.tokenType),
            ]
        }
        if let lease = logical.lease, !lease.leaseID.isEmpty {
            response["secret"] = ["lease_id": .string(lease.leaseID)]
        }
        if let wrap = logical.wrapInfo {
            var info: [String: JSONValue] = [
                "token": .string(hasher.maybeHash(wrap.token)), "accessor": .string(accessor(wrap.accessor)), "ttl": .int(wrap.ttl),
                "creation_time": .string(SystemBackend.iso.format(wrap.creationTime)), "creation_path": .string(wrap.creationPath),
            ]
            if let wrapped = wrap.wrappedAccessor { info["wrapped_accessor"] = .string(accessor(wrapped)) }
            response["wrap_info"] = .object(info)
        }
        if !logical.warnings.isEmpty { response["warnings"] = JSONValue(logical.warnings) }
        return response
    }
}

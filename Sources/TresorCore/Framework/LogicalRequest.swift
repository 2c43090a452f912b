import Foundation

/// One API call after HTTP has been peeled off: what to do, where, with what, and who asks.
public struct LogicalRequest: Sendable {
    public var id: String
    public var operation: LogicalOperation
    /// The full path after `/v1/`, never starting with "/".
    public var path: String
    public var data: [String: JSONValue]
    public var clientToken: String
    public var remoteAddress: String?
    /// Set when the HTTP method was PUT/POST: the core turns it into create or update.
    public var isWrite: Bool
    /// Headers a backend may need (none yet beyond content negotiation), lower-cased names.
    public var headers: [String: String]
    /// The body, not parsed yet. The core parses it only once the request may go ahead — the
    /// server is unsealed, and the caller holds a valid token or the path needs none — so a
    /// request that is refused anyway costs no parsing, however large its body.
    public var pendingBody: (@Sendable () throws(TresorError) -> [String: JSONValue])?
    /// A body that is not JSON, for the few endpoints that take one (an OCSP request in DER).
    public var rawBody: [UInt8]?
    /// X-Vault-Wrap-TTL in seconds: when above zero, the response is wrapped.
    public var wrapTTL: Int64 = 0
    /// Operator paths this request's listener serves without a token, for the break-glass case
    /// where every token is lost: "generate-root" (`sys/generate-root/*`) and "rekey"
    /// (`sys/rekey/*`). Empty unless the listener's `disable_unauthed_*_endpoints` is false.
    public var unauthenticatedOperatorPaths: Set<String> = []

    public init(id: String = RandomUUID.string(), operation: LogicalOperation, path: String,
                data: [String: JSONValue] = [:], clientToken: String = "", remoteAddress: String? = nil,
                isWrite: Bool = false, headers: [String: String] = [:]) {
        self.id = id
        self.operation = operation
        self.path = path
        self.data = data
        self.clientToken = clientToken
        self.remoteAddress = remoteAddress
        self.isWrite = isWrite
        self.headers = headers
    }

    /// Parses the pending body into `data`. Body members win over query parameters of the same
    /// name, as in Vault.
    public mutating func loadBody() throws(TresorError) {
        guard let parse = pendingBody else { return }
        pendingBody = nil
        let body = try parse()
        if data.isEmpty {
            data = body
        } else {
            data.merge(body) { _, fromBody in fromBody }
        }
    }
}

/// What a handler gets: the request, its storage (scoped to the mount, inside the request's
/// transaction), where it is mounted and who is calling.
public struct RequestContext: Sendable {
    public let request: LogicalRequest
    public let operation: LogicalOperation
    /// The path relative to the mount.
    public let path: String
    public let captures: [String: String]
    public let storage: StorageView
    public let mount: MountEntry
    public let token: TokenEntry?
    /// The transaction itself, for the core's own backends (system, token), which reach beyond
    /// a mount. Engines cannot see it: their storage is `storage`, rooted at their mount.
    let transaction: RequestTransaction
    /// Lease TTLs in force on this mount (its own settings over the server's).
    public let ttl: TTLDefaults

    public func capture(_ name: String) -> String { captures[name] ?? "" }
}

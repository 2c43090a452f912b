import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
@_spi(Server) import TresorCore
import VaultHTTP

/// A standby's way of serving: every request but its own status and unseal goes to the active
/// node over the cluster listener (mutual TLS with the cluster certificate the active keeps in
/// the barrier), and the active's answer comes back unchanged, so `bao` and hvac pointed at a
/// standby work as at the active. When the active cannot be reached that way the client is
/// redirected to its API address (307), as Vault does.
@_spi(Server) public final class StandbyForwarder: Sendable {
    /// Paths a standby answers itself.
    static let localPaths: Set<String> = ["/v1/sys/health", "/v1/sys/seal-status", "/v1/sys/leader", "/v1/sys/init", "/v1/sys/unseal", "/v1/sys/seal"]
    /// Marks a forwarded request, so two nodes that each think the other active cannot bounce it.
    static let forwardedHeader = HTTPField.Name("X-Tresor-Forwarded")!
    /// The original client's address, believed only on the cluster listener.
    static let clientAddressHeader = HTTPField.Name("X-Tresor-Client-Address")!

    /// How this node reaches the current active: checked against the lock at most once a
    /// second, rebuilt when another node (or another turn of the same node) is active.
    struct Link: Sendable {
        let identity: String
        let record: ClusterRecord?
        let apiAddress: String
        let client: HTTPClient?
        var checkedAt: ContinuousClock.Instant
    }

    struct State: Sendable {
        var link: Link?
        var refreshing = false
    }

    private let core: Core
    private let link = Mutex(State())

    public init(core: Core) {
        self.core = core
    }

    deinit {
        if let client = link.withLock({ $0.link?.client }) { try? client.syncShutdown() }
    }

    /// Whether this request must go to the active node.
    func shouldForward(_ request: Request) -> Bool {
        guard core.isStandby, request.headers[Self.forwardedHeader] == nil else { return false }
        return !Self.localPaths.contains(request.uri.path)
    }

    /// The link to the active, refreshed from the lock and the active's cluster record. One
    /// request at a time refreshes it; the others keep using the link they have meanwhile, so a
    /// slow store does not hold every request up once a second.
    private func currentLink() async -> Link? {
        let (known, mustRefresh) = link.withLock { state -> (Link?, Bool) in
            if let current = state.link, current.checkedAt.duration(to: .now) < .seconds(1) { return (current, false) }
            if state.refreshing, let current = state.link { return (current, false) }
            state.refreshing = true
            return (state.link, true)
        }
        guard mustRefresh else { return known }
        defer { link.withLock { $0.refreshing = false } }
        guard let holder = await core.activeHolder(), holder.identity != core.haIdentity, !holder.apiAddress.isEmpty else { return nil }
        if let known, known.identity == holder.identity, known.record != nil {
            // Same active as before; keep its connections, and its record unless it changed.
            let record = try? await core.clusterRecord(of: holder.identity)
            if record == known.record {
                link.withLock { $0.link?.checkedAt = .now }
                return known
            }
        }
        return await relink(to: holder)
    }

    /// Reads the active's cluster record and opens a client with its certificate. Without a
    /// record yet (the active is still taking over) there is no link.
    private func relink(to holder: (identity: String, apiAddress: String)) async -> Link? {
        guard let record = try? await core.clusterRecord(of: holder.identity) else { return nil }
        var client: HTTPClient?
        if !record.clusterAddress.isEmpty, let tls = try? ClusterCertificate.clientConfiguration(record) {
            var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow,
                                                         timeout: .init(connect: .seconds(5), read: .seconds(90)))
            configuration.decompression = .disabled
            // As many connections to the active as clients may bring; the default of 8 queues the rest.
            configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
            client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        }
        let fresh = Link(identity: holder.identity, record: record, apiAddress: record.apiAddress.isEmpty ? holder.apiAddress : record.apiAddress,
                         client: client, checkedAt: .now)
        let replaced = link.withLock { state -> HTTPClient? in
            defer { state.link = fresh }
            return state.link?.client
        }
        if let replaced { Task { try? await replaced.shutdown() } }
        return fresh
    }

    private func forget() {
        let replaced = link.withLock { state -> HTTPClient? in
            defer { state.link = nil }
            return state.link?.client
        }
        if let replaced { Task { try? await replaced.shutdown() } }
    }

    /// Forwards to the active node; nil when this node has just become the active one itself
    /// (a lock it holds while it loads its state), so the caller serves the request here.
    func forward(_ request: Request, body: ByteBuffer, clientAddress: String?) async -> Response? {
        var active = await currentLink()
        var waited: Duration = .zero
        while active == nil && waited < .seconds(5) {
            // No active found, or it has not published its record yet: most often a take-over
            // in progress, here or elsewhere.
            try? await Task.sleep(for: .milliseconds(50))
            waited += .milliseconds(50)
            if !core.isStandby { return nil }
            active = await currentLink()
        }
        guard let active else {
            return Self.plain(503, #"{"errors":["local node not active but active cluster node not found"]}"#)
        }
        var pathAndQuery = request.uri.path
        if let query = request.uri.query, !query.isEmpty { pathAndQuery += "?" + query }
        let redirect = Self.trimmed(active.apiAddress) + pathAndQuery
        guard let client = active.client, let record = active.record else { return Self.redirect(to: redirect) }
        var outgoing = HTTPClientRequest(url: Self.trimmed(record.clusterAddress) + pathAndQuery)
        outgoing.method = .init(rawValue: request.method.rawValue)
        outgoing.headers = HTTPRelay.headers(of: request, except: [Self.clientAddressHeader.canonicalName, Self.forwardedHeader.canonicalName])
        outgoing.headers.add(name: Self.forwardedHeader.rawName, value: "1")
        if let clientAddress { outgoing.headers.add(name: Self.clientAddressHeader.rawName, value: clientAddress) }
        if body.readableBytes > 0 { outgoing.body = .bytes(body) }
        do {
            return try await HTTPRelay.response(from: try await client.execute(outgoing, timeout: .seconds(90)))
        } catch {
            forget()
            return Self.redirect(to: redirect)
        }
    }

    static func trimmed(_ address: String) -> String {
        address.hasSuffix("/") ? String(address.dropLast()) : address
    }

    private static func redirect(to target: String) -> Response {
        var headers: HTTPFields = [.location: target, .cacheControl: "no-store"]
        headers[.contentLength] = "0"
        return Response(status: .temporaryRedirect, headers: headers, body: .init())
    }

    private static func plain(_ status: Int, _ json: String) -> Response {
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        headers[.contentLength] = String(json.utf8.count)
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: json)))
    }
}

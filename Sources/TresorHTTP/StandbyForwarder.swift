import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTP1
import Synchronization
@_spi(Server) import TresorCore

/// A standby's way of serving: every request but its own status and unseal goes to the active
/// node's API address, and the active's answer comes back unchanged, so `bao` and hvac pointed
/// at a standby work as at the active. When the active cannot be reached the client is
/// redirected there (307), as Vault does.
@_spi(Server) public final class StandbyForwarder: Sendable {
    /// Paths a standby answers itself.
    static let localPaths: Set<String> = ["/v1/sys/health", "/v1/sys/seal-status", "/v1/sys/leader", "/v1/sys/init", "/v1/sys/unseal", "/v1/sys/seal"]
    /// Marks a forwarded request, so two nodes that each think the other active cannot bounce it.
    static let forwardedHeader = "X-Tresor-Forwarded"
    static let hopByHop: Set<String> = ["host", "connection", "content-length", "transfer-encoding", "keep-alive", "upgrade",
                                        "proxy-connection", "te", "trailer"]

    private let core: Core
    private let client: HTTPClient
    /// The active's address, asked of the lock at most once a second.
    private let leader = Mutex<(address: String, at: ContinuousClock.Instant)?>(nil)

    public init(core: Core) {
        self.core = core
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(90)))
        configuration.decompression = .disabled
        // As many connections to the active as clients may bring; the default of 8 queues the rest.
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    deinit {
        try? client.syncShutdown()
    }

    /// Whether this request must go to the active node.
    func shouldForward(_ request: Request) -> Bool {
        guard core.isStandby, request.headers[HTTPField.Name(Self.forwardedHeader)!] == nil else { return false }
        return !Self.localPaths.contains(request.uri.path)
    }

    private func activeAddress() async -> String? {
        if let known = leader.withLock({ $0 }), known.at.duration(to: .now) < .seconds(1), !known.address.isEmpty { return known.address }
        guard let found = await core.leaderAddress(), !found.isSelf, !found.address.isEmpty else { return nil }
        leader.withLock { $0 = (found.address, .now) }
        return found.address
    }

    /// Forwards to the active node; nil when this node has just become the active one itself
    /// (a lock it holds while it loads its state), so the caller serves the request here.
    func forward(_ request: Request, body: ByteBuffer) async -> Response? {
        var address = await activeAddress()
        var waited: Duration = .zero
        while address == nil && waited < .seconds(5) {
            // No active found: most often a take-over in progress, here or elsewhere.
            try? await Task.sleep(for: .milliseconds(50))
            waited += .milliseconds(50)
            if !core.isStandby { return nil }
            address = await activeAddress()
        }
        guard let address else {
            return Self.plain(503, #"{"errors":["local node not active but active cluster node not found"]}"#)
        }
        var target = address.hasSuffix("/") ? String(address.dropLast()) : address
        target += request.uri.path
        if let query = request.uri.query, !query.isEmpty { target += "?" + query }
        var outgoing = HTTPClientRequest(url: target)
        outgoing.method = .init(rawValue: request.method.rawValue)
        for field in request.headers where !Self.hopByHop.contains(field.name.canonicalName) {
            outgoing.headers.add(name: field.name.rawName, value: field.value)
        }
        outgoing.headers.add(name: Self.forwardedHeader, value: "1")
        if body.readableBytes > 0 { outgoing.body = .bytes(body) }
        do {
            let answer = try await client.execute(outgoing, timeout: .seconds(90))
            let bytes = try await answer.body.collect(upTo: 64 * 1024 * 1024)
            var headers = HTTPFields()
            for (name, value) in answer.headers where !Self.hopByHop.contains(name.lowercased()) {
                if let fieldName = HTTPField.Name(name) { headers.append(HTTPField(name: fieldName, value: value)) }
            }
            headers[.contentLength] = String(bytes.readableBytes)
            return Response(status: .init(code: Int(answer.status.code)), headers: headers, body: .init(byteBuffer: bytes))
        } catch {
            leader.withLock { $0 = nil }
            var headers: HTTPFields = [.location: target, .cacheControl: "no-store"]
            headers[.contentLength] = "0"
            return Response(status: .temporaryRedirect, headers: headers, body: .init())
        }
    }

    private static func plain(_ status: Int, _ json: String) -> Response {
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        headers[.contentLength] = String(json.utf8.count)
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: json)))
    }
}

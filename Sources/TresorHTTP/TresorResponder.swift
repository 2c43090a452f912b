import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
@_spi(Server) import TresorCore

/// Serves `/v1/...` by handing each request to the core. Knows HTTP, nothing about engines.
@_spi(Server) public struct TresorResponder: Sendable {
    let core: Core
    let maxRequestSize: Int
    let jsonLimits: JSONLimits
    /// Present on clustered nodes' API listeners: what a standby cannot answer goes to the
    /// active node.
    let forwarder: StandbyForwarder?
    /// On the cluster listener, whose peers proved with the cluster certificate that they are
    /// nodes of this cluster: the client address a standby passes on is the one that counts
    /// (for CIDR-bound tokens and roles, and in the audit log).
    let trustsForwardedClientAddress: Bool
    let unauthenticatedOperatorPaths: Set<String>
    /// Serves the web UI at `/ui/` (`ui = true`; dev mode).
    let webUI: Bool

    public init(core: Core, maxRequestSize: Int = RequestMapper.defaultMaxRequestSize, jsonLimits: JSONLimits = .requestDefault,
                clusterListener: Bool = false, unauthenticatedOperatorPaths: Set<String> = [], webUI: Bool = false) {
        self.unauthenticatedOperatorPaths = unauthenticatedOperatorPaths
        self.webUI = webUI && !clusterListener
        self.core = core
        self.maxRequestSize = maxRequestSize
        self.jsonLimits = jsonLimits
        self.trustsForwardedClientAddress = clusterListener
        self.forwarder = core.haEnabled && !clusterListener ? StandbyForwarder(core: core) : nil
    }

    public func respond(to request: Request, remoteAddress: SocketAddress?) async -> Response {
        if webUI, WebUI.owns(request.uri.path) { return WebUI.respond(path: request.uri.path, method: request.method) }
        if trustsForwardedClientAddress {
            let client = request.headers[StandbyForwarder.clientAddressHeader].flatMap { try? SocketAddress(ipAddress: $0, port: 0) }
            return Self.response(await handle(request, body: nil, remoteAddress: client ?? remoteAddress), isHead: request.method == .head)
        }
        if let forwarder, forwarder.shouldForward(request) {
            var request = request
            guard let body = try? await request.collectBody(upTo: maxRequestSize) else {
                return Self.response(ResponseRenderer.error(.payloadTooLarge), isHead: false)
            }
            if let forwarded = await forwarder.forward(request, body: body, clientAddress: remoteAddress?.ipAddress) { return forwarded }
            // This node became the active one meanwhile: it serves the request itself.
            return Self.response(await handle(request, body: body, remoteAddress: remoteAddress), isHead: request.method == .head)
        }
        return Self.response(await handle(request, body: nil, remoteAddress: remoteAddress), isHead: request.method == .head)
    }

    static func response(_ rendered: RenderedResponse, isHead: Bool) -> Response {
        var headers: HTTPFields = [.contentType: rendered.contentType ?? "application/json", .cacheControl: "no-store", .date: HTTPDate.now()]
        guard let body = rendered.body, !isHead else {
            if let body = rendered.body { headers[.contentLength] = String(body.count) }
            return Response(status: .init(code: rendered.status), headers: headers, body: .init())
        }
        headers[.contentLength] = String(body.count)
        return Response(status: .init(code: rendered.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    private func handle(_ request: Request, body: ByteBuffer?, remoteAddress: SocketAddress?) async -> RenderedResponse {
        var request = request
        let buffer: ByteBuffer
        do {
            if let body { buffer = body } else { buffer = try await request.collectBody(upTo: maxRequestSize) }
        } catch is NIOTooManyBytesError {
            return ResponseRenderer.error(.payloadTooLarge)
        } catch {
            return ResponseRenderer.error(.badRequest("failed to read request body"))
        }
        var headers: [String: String] = [:]
        var repeated: Set<String> = []
        for field in request.headers {
            if headers.updateValue(field.value, forKey: field.name.canonicalName) != nil {
                repeated.insert(field.name.canonicalName)
            }
        }
        let incoming = RequestMapper.Incoming(
            method: request.method.rawValue, rawPath: request.uri.path, query: request.uri.query, headers: headers,
            repeatedHeaders: repeated, body: buffer, remoteAddress: remoteAddress?.ipAddress, jsonLimits: jsonLimits)
        let logger = core.logger
        let started = logger.logLevel <= .debug ? ContinuousClock.now : nil
        var requestID: String?
        let rendered: RenderedResponse
        do {
            var logical = try RequestMapper.map(incoming)
            logical.unauthenticatedOperatorPaths = unauthenticatedOperatorPaths
            requestID = logical.id
            core.inFlight.begin(id: logical.id, remoteIP: incoming.remoteAddress, remotePort: remoteAddress?.port, path: request.uri.path,
                                method: request.method.rawValue)
            defer { core.inFlight.end(id: logical.id) }
            rendered = ResponseRenderer.render(try await core.handle(logical))
        } catch {
            rendered = ResponseRenderer.error(error)
        }
        if let started {
            // At debug level every request leaves one line with its id, which its audit entries
            // carry too. The path is not logged: some paths carry tokens (auth/token/lookup/<token>).
            logger.debug("request", metadata: [
                "request_id": "\(requestID ?? "")", "method": "\(request.method.rawValue)", "status": "\(rendered.status)",
                "duration": "\(ContinuousClock.now - started)",
            ])
        }
        return rendered
    }
}

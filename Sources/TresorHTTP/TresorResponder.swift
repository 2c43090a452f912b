import Hummingbird
import Logging
import NIOCore
import TresorCore

/// The request context: Hummingbird's core storage plus the peer address for audit and CIDR checks.
public struct TresorRequestContext: Hummingbird.RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// Serves `/v1/...` by handing each request to the core. Knows HTTP, nothing about engines.
public struct TresorResponder: HTTPResponder {
    public typealias Context = TresorRequestContext

    let core: Core
    let maxRequestSize: Int

    public init(core: Core, maxRequestSize: Int = RequestMapper.defaultMaxRequestSize) {
        self.core = core
        self.maxRequestSize = maxRequestSize
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        let rendered = await handle(request, context: context)
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        let isHead = request.method == .head
        guard let body = rendered.body, !isHead else {
            if let body = rendered.body { headers[.contentLength] = String(body.count) }
            return Response(status: .init(code: rendered.status), headers: headers, body: .init())
        }
        headers[.contentLength] = String(body.count)
        return Response(status: .init(code: rendered.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    private func handle(_ request: Request, context: Context) async -> RenderedResponse {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxRequestSize)
        } catch is NIOTooManyBytesError {
            return ResponseRenderer.error(.payloadTooLarge)
        } catch {
            return ResponseRenderer.error(.badRequest("failed to read request body"))
        }
        var headers: [String: String] = [:]
        for field in request.headers {
            headers[field.name.canonicalName] = field.value
        }
        let incoming = RequestMapper.Incoming(
            method: request.method.rawValue, rawPath: request.uri.path, query: request.uri.query, headers: headers,
            body: Array(buffer.readableBytesView), remoteAddress: context.remoteAddress?.ipAddress)
        do {
            let logical = try RequestMapper.map(incoming)
            return ResponseRenderer.render(try await core.handle(logical))
        } catch {
            return ResponseRenderer.error(error)
        }
    }
}

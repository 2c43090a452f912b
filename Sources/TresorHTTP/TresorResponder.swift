import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import TresorCore

/// Serves `/v1/...` by handing each request to the core. Knows HTTP, nothing about engines.
public struct TresorResponder: Sendable {
    let core: Core
    let maxRequestSize: Int

    public init(core: Core, maxRequestSize: Int = RequestMapper.defaultMaxRequestSize) {
        self.core = core
        self.maxRequestSize = maxRequestSize
    }

    public func respond(to request: Request, remoteAddress: SocketAddress?) async -> Response {
        let rendered = await handle(request, remoteAddress: remoteAddress)
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store", .date: HTTPDate.now()]
        let isHead = request.method == .head
        guard let body = rendered.body, !isHead else {
            if let body = rendered.body { headers[.contentLength] = String(body.count) }
            return Response(status: .init(code: rendered.status), headers: headers, body: .init())
        }
        headers[.contentLength] = String(body.count)
        return Response(status: .init(code: rendered.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    private func handle(_ request: Request, remoteAddress: SocketAddress?) async -> RenderedResponse {
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
            body: Array(buffer.readableBytesView), remoteAddress: remoteAddress?.ipAddress)
        do {
            let logical = try RequestMapper.map(incoming)
            return ResponseRenderer.render(try await core.handle(logical))
        } catch {
            return ResponseRenderer.error(error)
        }
    }
}

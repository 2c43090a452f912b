import Foundation
import HTTPTypes
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

/// The injector's HTTPS listener: `/mutate` for the API server, `/health/ready` for the kubelet.
/// The serving certificate can change while it runs (a renewed `-tls-auto` certificate, a
/// rotated file): every new connection gets the newest.
public final class WebhookServer: Sendable {
    let handler: AdmissionHandler
    /// The newest certificate chain and key.
    let current = Mutex<(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)?>(nil)
    let logger: Logger

    public init(handler: AdmissionHandler, logger: Logger) {
        self.handler = handler
        self.logger = logger
    }

    /// Serves this certificate and key (PEM) from the next connection on.
    func use(certificatePEM: String, keyPEM: String) throws {
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8))
        let key = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)
        // A pair that does not belong together fails here, not at the next handshake.
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        _ = try NIOSSLContext(configuration: configuration)
        current.withLock { $0 = (chain, key) }
    }

    /// The listener; `use` must have been called once first.
    func service(host: String, port: Int, onRunning: @escaping @Sendable (Int) -> Void) throws -> any Service {
        guard let initial = current.withLock({ $0 }) else { throw InjectorError("no serving certificate") }
        // Each handshake takes the newest pair through the callback.
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: initial.chain.map { .certificate($0) }, privateKey: .privateKey(initial.key))
        tls.minimumTLSVersion = .tlsv12
        tls.sslContextCallback = { [weak self] _, promise in
            if let newest = self?.current.withLock({ $0 }) {
                var override = NIOSSLContextConfigurationOverride()
                override.certificateChain = newest.chain.map { .certificate($0) }
                override.privateKey = .privateKey(newest.key)
                promise.succeed(override)
            } else {
                promise.fail(InjectorError("no certificate available"))
            }
        }
        let handler = self.handler
        return try HTTPServerBuilder.tls(.http1(), tlsConfiguration: tls).buildServer(
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger,
            responder: { request, writer, _ in
                var request = request
                let response = await Self.respond(to: &request, handler: handler)
                try await writer.write(response: response.head, body: response.body)
            },
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? port) })
    }

    static func respond(to request: inout Request, handler: AdmissionHandler) async -> Response {
        switch (request.method, request.uri.path) {
        case (_, "/health/ready"):
            return Response(status: .noContent)
        case (.post, "/mutate"):
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: AdmissionHandler.maxBody)
            } catch {
                return reply(AdmissionHandler.failure(413, "request body too large"))
            }
            return reply(handler.handle(contentType: request.headers[.contentType], body: Array(body.readableBytesView)))
        case (_, "/mutate"):
            return reply(AdmissionHandler.failure(405, "method not allowed: use POST"))
        default:
            return reply(AdmissionHandler.failure(404, "404 page not found"))
        }
    }

    static func reply(_ reply: AdmissionHandler.Reply) -> Response {
        var headers: HTTPFields = [.contentType: reply.contentType]
        headers[.contentLength] = String(reply.body.count)
        return Response(status: .init(code: reply.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
    }
}

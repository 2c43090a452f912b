import HummingbirdCore
import VaultHTTP
import HummingbirdTLS
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import ServiceLifecycle
@_spi(Server) import TresorCore

/// One HTTP listener: Hummingbird's HTTP/1 server (with Vault's LIST verb) answering through
/// `TresorResponder`, as a swift-service-lifecycle service. With a start gate, requests wait
/// until it opens.
///
/// It is built on HummingbirdCore directly rather than on Hummingbird's `Application`: Tresor
/// needs neither its router nor its request contexts, and `Application.run` starts a service
/// group of its own plus a date cache whose Foundation calendar set-up was a fifth of the
/// server's start-up.
public enum TresorHTTPServer {
    @_spi(Server) public static func listener(core: Core, host: String, port: Int, tls: TLSConfiguration? = nil,
                                maxRequestSize: Int = RequestMapper.defaultMaxRequestSize, jsonLimits: JSONLimits = .requestDefault,
                                logger: Logger,
                                startGate: StartGate? = nil, clusterListener: Bool = false, unauthenticatedOperatorPaths: Set<String> = [],
                                webUI: Bool = false, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> any Service
    {
        let server: HTTPServerBuilder = try tls.map { try .tls(.vaultHTTP1, tlsConfiguration: $0) } ?? .vaultHTTP1
        let responder = TresorResponder(core: core, maxRequestSize: maxRequestSize, jsonLimits: jsonLimits,
                                        clusterListener: clusterListener, unauthenticatedOperatorPaths: unauthenticatedOperatorPaths,
                                        webUI: webUI)
        return try server.buildServer(
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: logger,
            responder: { request, writer, channel in
                await startGate?.pass()
                let response = await responder.respond(to: request, remoteAddress: channel.remoteAddress)
                do {
                    try await writer.write(response: response.head, body: response.body)
                } catch is HTTPParserError {
                    // The request was malformed past its head, and the response has begun: the
                    // connection only needs closing. Passing the parser error on would make the
                    // channel handler write a second response, a 400.
                    throw ResponseAlreadyStarted()
                }
            },
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) })
    }

    struct ResponseAlreadyStarted: Error {}
}

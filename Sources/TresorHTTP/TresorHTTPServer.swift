import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import ServiceLifecycle
import TresorCore

/// The HTTP listener as a Hummingbird application, run under swift-service-lifecycle.
public enum TresorHTTPServer {
    public static func application(core: Core, host: String, port: Int, tls: TLSConfiguration? = nil,
                                   maxRequestSize: Int = RequestMapper.defaultMaxRequestSize, logger: Logger,
                                   onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> any Service
    {
        let server: HTTPServerBuilder = try tls.map { try .tls(.vaultHTTP1, tlsConfiguration: $0) } ?? .vaultHTTP1
        return Application(
            responder: TresorResponder(core: core, maxRequestSize: maxRequestSize),
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}

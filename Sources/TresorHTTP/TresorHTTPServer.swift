import Hummingbird
import Logging
import TresorCore

/// The HTTP listener as a Hummingbird application, run under swift-service-lifecycle.
public enum TresorHTTPServer {
    public static func application(core: Core, host: String, port: Int, logger: Logger,
                                   onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol
    {
        Application(
            responder: TresorResponder(core: core),
            server: .vaultHTTP1,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}

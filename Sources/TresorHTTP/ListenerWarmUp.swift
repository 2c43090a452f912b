import VaultHTTP
import Logging
import NIOCore
import NIOEmbedded

/// Builds one HTTP connection's channel pipeline on an in-memory channel and parses a request
/// through it, while the server is still starting and has a core to spare.
///
/// The first connection a server accepts otherwise pays the Swift runtime's one-time costs for
/// every type in that pipeline: generic metadata is instantiated, and every protocol-conformance
/// check (NIO asks each handler whether it handles inbound and outbound events) scans the
/// binary's 11,600 conformance records once before its answer is cached. That was a sixth of the
/// time from exec to the first answer. Done beforehand, the first client finds it all cached.
/// Nothing of this channel outlives the call.
public enum ListenerWarmUp {
    /// Returns whether the pipeline was built (the embedded loop completes it synchronously).
    public static func run(logger: Logger) -> Bool {
        let channel = EmbeddedChannel()
        // Requests are parsed but never answered: nothing consumes the connection's stream.
        let connection = VaultHTTP1Channel(responder: { _, _, _ in })
        var built = false
        connection.setup(channel: channel, logger: logger).assumeIsolated().whenSuccess { _ in built = true }
        _ = try? channel.writeInbound(ByteBuffer(string: "GET /v1/sys/health HTTP/1.1\r\nHost: warm-up\r\n\r\n"))
        _ = try? channel.finish(acceptAlreadyClosed: true)
        return built
    }
}

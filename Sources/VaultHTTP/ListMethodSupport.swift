import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// Vault's API uses a LIST verb, but NIO's HTTP parser (llhttp) refuses methods outside its
/// table. Before parsing, the rewriter turns a request line's `LIST` into `LINK`: the same length,
/// known to the parser and meaningless to this API. The responder reads `LINK` as LIST.
///
/// Only the first bytes of each request line are touched, and `RequestFraming` says where each
/// request line starts, following Content-Length and chunked bodies, so a pipelined LIST in the
/// same read as the request before it is found, and body bytes that look like "LIST " are not.
public final class ListMethodRewriter: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    public init() {}

    static let list = Array("LIST ".utf8)
    static let link = Array("LINK".utf8)

    private var framing = RequestFraming()
    /// The first bytes of a request line, held while they are still a prefix of "LIST ".
    private var held: ByteBuffer?

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if var previous = held {
            previous.writeBuffer(&buffer)
            buffer = previous
            held = nil
        }
        var offset = 0
        while let start = buffer.readableBytesView.withContiguousStorageIfAvailable({ framing.nextRequestStart(in: $0, from: offset) }) ?? nil {
            let view = buffer.readableBytesView
            let available = view.count - start
            let prefix = view[(view.startIndex + start)...].prefix(Self.list.count)
            if available < Self.list.count && Self.list.starts(with: prefix) {
                // Not enough bytes to tell yet: pass on what came before, keep the rest.
                held = buffer.getSlice(at: buffer.readerIndex + start, length: available)
                buffer = buffer.getSlice(at: buffer.readerIndex, length: start)!
                break
            }
            if prefix.elementsEqual(Self.list) {
                buffer.setBytes(Self.link, at: buffer.readerIndex + start)
            }
            framing.enterRequestLine()
            offset = start
        }
        if buffer.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(buffer))
        }
    }
}

/// Hummingbird's HTTP/1 channel with the LIST rewriter in front of the parser.
public struct VaultHTTP1Channel: ServerChildChannel {
    public typealias Value = HTTP1Channel.Value
    let inner: HTTP1Channel

    public init(responder: @escaping HTTPChannelHandler.Responder) {
        inner = HTTP1Channel(responder: responder)
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            // Last for now: after a TLS handler if there is one, before the HTTP parser that comes next.
            try channel.pipeline.syncOperations.addHandler(ListMethodRewriter(), position: .last)
        }.flatMap {
            inner.setup(channel: channel, logger: logger)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 that understands Vault's LIST verb.
    public static var vaultHTTP1: HTTPServerBuilder {
        HTTPServerBuilder { responder in VaultHTTP1Channel(responder: responder) }
    }
}

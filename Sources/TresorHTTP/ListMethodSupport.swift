import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// Vault's API uses a LIST verb, but NIO's HTTP parser (llhttp) refuses methods outside its
/// table. Before parsing, the rewriter turns a request line's `LIST` into `LINK`: the same length,
/// known to the parser and meaningless to this API. The responder reads `LINK` as LIST.
///
/// Only the first bytes of each request are touched. The observer, which sits after the parser,
/// marks where a request ends so the rewriter knows the next bytes start a new request line.
final class ListMethodRewriter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    static let list = Array("LIST ".utf8)
    static let link = Array("LINK".utf8)

    var atRequestStart = true
    /// The first bytes of a request line, held while they are still a prefix of "LIST ".
    private var held: ByteBuffer?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard atRequestStart else {
            context.fireChannelRead(data)
            return
        }
        if var previous = held {
            previous.writeBuffer(&buffer)
            buffer = previous
            held = nil
        }
        let view = buffer.readableBytesView
        if view.count < Self.list.count && Self.list.starts(with: view) {
            held = buffer
            return
        }
        if view.starts(with: Self.list) {
            buffer.setBytes(Self.link, at: buffer.readerIndex)
        }
        atRequestStart = false
        context.fireChannelRead(wrapInboundOut(buffer))
    }
}

/// Tells the rewriter when a request has been read to its end.
final class RequestEndObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private var rewriter: ListMethodRewriter?

    func handlerAdded(context: ChannelHandlerContext) {
        rewriter = try? context.pipeline.syncOperations.handler(type: ListMethodRewriter.self)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) {
            rewriter?.atRequestStart = true
        }
        context.fireChannelRead(data)
    }
}

/// Hummingbird's HTTP/1 channel with the LIST rewriter in front of the parser.
struct VaultHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let inner: HTTP1Channel

    init(responder: @escaping HTTPChannelHandler.Responder) {
        inner = HTTP1Channel(responder: responder, configuration: .init(additionalChannelHandlers: [RequestEndObserver()]))
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            // Last for now: after a TLS handler if there is one, before the HTTP parser that comes next.
            try channel.pipeline.syncOperations.addHandler(ListMethodRewriter(), position: .last)
        }.flatMap {
            inner.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 that understands Vault's LIST verb.
    static var vaultHTTP1: HTTPServerBuilder {
        HTTPServerBuilder { responder in VaultHTTP1Channel(responder: responder) }
    }
}

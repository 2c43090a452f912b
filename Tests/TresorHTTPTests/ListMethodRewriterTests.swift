import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing
@testable import TresorHTTP

@Suite struct ListMethodRewriterTests {
    func channel() throws -> (EmbeddedChannel, ListMethodRewriter) {
        let rewriter = ListMethodRewriter()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(rewriter)
        return (channel, rewriter)
    }

    func send(_ channel: EmbeddedChannel, _ text: String) throws -> String? {
        try channel.writeInbound(ByteBuffer(string: text))
        guard let out = try channel.readInbound(as: ByteBuffer.self) else { return nil }
        return String(buffer: out)
    }

    @Test func rewritesOnlyTheRequestLine() throws {
        let (channel, rewriter) = try channel()
        #expect(try send(channel, "LIST /v1/secret/metadata HTTP/1.1\r\nHost: x\r\n\r\n") == "LINK /v1/secret/metadata HTTP/1.1\r\nHost: x\r\n\r\n")
        // Until the observer marks the end of that request, later bytes are body, left alone.
        #expect(try send(channel, "LIST /not/a/request") == "LIST /not/a/request")
        rewriter.atRequestStart = true
        #expect(try send(channel, "GET /v1/sys/health HTTP/1.1\r\n\r\n") == "GET /v1/sys/health HTTP/1.1\r\n\r\n")
    }

    @Test func handlesARequestLineSplitAcrossReads() throws {
        let (channel, _) = try channel()
        #expect(try send(channel, "LI") == nil)
        #expect(try send(channel, "ST /v1/x HTTP/1.1\r\n\r\n") == "LINK /v1/x HTTP/1.1\r\n\r\n")
    }

    @Test func otherMethodsPassUnchanged() throws {
        let (channel, _) = try channel()
        #expect(try send(channel, "L") == nil)
        #expect(try send(channel, "INK /x HTTP/1.1\r\n\r\n") == "LINK /x HTTP/1.1\r\n\r\n")
    }

    @Test func observerRearmsTheRewriterAtRequestEnd() throws {
        let rewriter = ListMethodRewriter()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(rewriter)
        let observer = RequestEndObserver()
        try channel.pipeline.syncOperations.addHandler(observer)
        let context = try channel.pipeline.syncOperations.context(handler: observer)
        rewriter.atRequestStart = false
        observer.channelRead(context: context, data: NIOAny(HTTPRequestPart.body(ByteBuffer(string: "x"))))
        #expect(!rewriter.atRequestStart)
        observer.channelRead(context: context, data: NIOAny(HTTPRequestPart.end(nil)))
        #expect(rewriter.atRequestStart)
    }
}

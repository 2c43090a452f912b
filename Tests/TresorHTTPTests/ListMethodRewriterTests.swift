import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing
@testable import VaultHTTP

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
        let (channel, _) = try channel()
        #expect(try send(channel, "LIST /v1/secret/metadata HTTP/1.1\r\nHost: x\r\n\r\n") == "LINK /v1/secret/metadata HTTP/1.1\r\nHost: x\r\n\r\n")
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

    static let listRequest = "LIST /v1/secret/metadata/ HTTP/1.1\r\nHost: x\r\n\r\n"
    /// Requests whose bodies hold text that looks like a LIST request line: it must stay as sent.
    static func put(_ body: String) -> String {
        "PUT /v1/secret/data/a HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
    }

    static func chunked(_ chunks: [String]) -> String {
        "POST /v1/secret/data/b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunks.map { String($0.utf8.count, radix: 16) + ";ext=1\r\n" + $0 + "\r\n" }.joined()
            + "0\r\nTrailer: LIST\r\n\r\n"
    }

    static let pipelined: [String] = [
        put("{\"y\":\"\r\n\r\nLIST /v1/z HTTP/1.1\r\n\r\n\"}"),
        listRequest,
        chunked(["LIST ", "\r\n\r\nLIST /v1/a HTTP/1.1\r\n\r\n", String(repeating: "x", count: 300)]),
        "\r\n" + listRequest,
        "GET /v1/sys/health HTTP/1.1\r\nContent-Length: 5\r\n\r\nLIST " + listRequest,
        "HEAD /v1/sys/health HTTP/1.0\r\n\r\n",
        listRequest,
    ]

    /// What the parser must receive: every request's own LIST line as LINK, bodies untouched.
    static let expected = pipelined.map { request -> String in
        var out = request
        if let range = out.range(of: "LIST /v1/secret/metadata/ HTTP/1.1") {
            out.replaceSubrange(range, with: "LINK /v1/secret/metadata/ HTTP/1.1")
        }
        return out
    }.joined()

    @Test func pipelinedRequestsInOneReadAreEachRewrittenAndBodiesAreNot() throws {
        let (channel, _) = try channel()
        let out = try send(channel, Self.pipelined.joined())
        #expect(out == Self.expected)
    }

    @Test func everySplitOfTheStreamGivesTheSameBytes() throws {
        let stream = Array(Self.pipelined.joined().utf8)
        for cut in stride(from: 1, to: stream.count, by: 3) {
            let (channel, _) = try channel()
            var out = ""
            for part in [stream[..<cut], stream[cut...]] {
                try channel.writeInbound(ByteBuffer(bytes: part))
                while let buffer = try channel.readInbound(as: ByteBuffer.self) { out += String(buffer: buffer) }
            }
            #expect(out == Self.expected, "cut at \(cut)")
        }
        let (channel, _) = try channel()
        var out = ""
        for byte in stream {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
            while let buffer = try channel.readInbound(as: ByteBuffer.self) { out += String(buffer: buffer) }
        }
        #expect(out == Self.expected, "a byte at a time")
    }

    @Test func framingItCannotFollowStopsRewriting() throws {
        // Both framings at once: the parser refuses it; later LISTs must not be rewritten at a guess.
        let (channel, _) = try channel()
        let ambiguous = "POST /v1/x HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        #expect(try send(channel, ambiguous + Self.listRequest) == ambiguous + Self.listRequest)
    }
}

import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing
import TresorAudit
import TresorCore

/// A peer that keeps whatever it receives: stream bytes, or one entry per datagram.
final class Collector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let received = Mutex<[String]>([])
    let connections = Mutex<[any Channel]>([])
    func channelActive(context: ChannelHandlerContext) {
        connections.withLock { $0.append(context.channel) }
    }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        received.withLock { $0.append(String(buffer: buffer)) }
    }
    var text: String { received.withLock { $0.joined() } }
    var count: Int { received.withLock { $0.count } }
}

final class DatagramCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let received = Mutex<[String]>([])
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        received.withLock { $0.append(String(buffer: envelope.data)) }
    }
}

@Suite struct SocketAuditDeviceTests {
    let group = MultiThreadedEventLoopGroup.singleton

    func listen(_ path: String, into collector: Collector) async throws -> any Channel {
        try? FileManager.default.removeItem(atPath: path)
        return try await ServerBootstrap(group: group)
            .childChannelInitializer { $0.pipeline.addHandler(collector) }
            .bind(unixDomainSocketPath: path).get()
    }

    func eventually(_ condition: () -> Bool) async throws {
        for _ in 0..<200 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test func badOptionsAreRefused() {
        #expect(throws: AuditError.self) { try SocketAuditDevice(options: [:]) }
        #expect(throws: AuditError.self) { try SocketAuditDevice(options: ["address": "127.0.0.1:9", "socket_type": "sctp"]) }
        #expect(throws: AuditError.self) { try SocketAuditDevice(options: ["address": "127.0.0.1"]) }
        #expect(throws: AuditError.self) { try SocketAuditDevice(options: ["address": "127.0.0.1:99999"]) }
        #expect(throws: AuditError.self) { try SocketAuditDevice(options: ["address": ":80"]) }
        #expect(throws: AuditError.self) { try SocketAuditDevice(options: ["address": "127.0.0.1:9", "write_timeout": "-1s"]) }
        #expect((try? SocketAuditDevice(options: ["address": "[::1]:9000"])) != nil)
    }

    /// A batch arrives as lines; a peer that went away fails the next write (the request fails
    /// closed); a peer that came back gets entries again over a new connection.
    @Test func unixPeerGetsLinesFailsWhenGoneAndRecovers() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString.prefix(8)).sock").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = Collector()
        var server = try await listen(path, into: first)
        let device = try SocketAuditDevice(options: ["address": path, "socket_type": "unix"])
        try await device.write([Array("one".utf8), Array("two".utf8)])
        try await eventually { first.text == "one\ntwo\n" }
        #expect(first.text == "one\ntwo\n")

        // The peer closes every connection and stops listening.
        try await server.close()
        for connection in first.connections.withLock({ $0 }) { try? await connection.close() }
        try? FileManager.default.removeItem(atPath: path)
        try await Task.sleep(for: .milliseconds(100))
        await #expect(throws: AuditError.self) { try await device.write([Array("lost".utf8)]) }

        let second = Collector()
        server = try await listen(path, into: second)
        try await device.write([Array("three".utf8)])
        try await eventually { second.text == "three\n" }
        #expect(second.text == "three\n")
        #expect(!first.text.contains("lost"))
        await device.close()
        try await server.close()
    }

    @Test func udpSendsOneDatagramPerEntry() async throws {
        let collector = DatagramCollector()
        let server = try await DatagramBootstrap(group: group)
            .channelInitializer { $0.pipeline.addHandler(collector) }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(server.localAddress?.port)
        let device = try SocketAuditDevice(options: ["address": "127.0.0.1:\(port)", "socket_type": "udp"])
        try await device.write([Array("a".utf8), Array("b".utf8), Array("c".utf8)])
        try await eventually { collector.received.withLock { $0.count } == 3 }
        #expect(collector.received.withLock { $0 } == ["a\n", "b\n", "c\n"])
        await device.close()
        try await server.close()
    }
}

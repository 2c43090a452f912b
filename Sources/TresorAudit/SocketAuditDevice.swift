import NIOCore
import NIOPosix
import Synchronization
import TresorCore

/// Sends entries to a TCP, UDP or Unix socket, one JSON line each, through SwiftNIO: connecting
/// and writing never block a thread. A peer that closes its end is noticed by the channel (the
/// peer of an audit socket never speaks, so end of stream closes it), and the next entry
/// reconnects rather than going into a connection nobody reads.
public final class SocketAuditDevice: AuditDevice {
    enum Kind: String { case tcp, udp, unix }

    private let address: String
    private let kind: Kind
    private let timeout: TimeAmount
    private let group: any EventLoopGroup
    private let channel = Mutex<(any Channel)?>(nil)

    public init(options: [String: String], group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        guard let address = options["address"], !address.isEmpty else { throw AuditError("address is required") }
        guard let kind = Kind(rawValue: options["socket_type"] ?? "tcp") else {
            throw AuditError("socket_type must be tcp, udp or unix")
        }
        let timeoutText = options["write_timeout"] ?? "2s"
        guard let seconds = DurationParser.seconds(timeoutText), seconds > 0 else {
            throw AuditError("write_timeout must be a positive duration such as 2s")
        }
        if kind != .unix { _ = try Self.hostAndPort(address) }
        self.address = address
        self.kind = kind
        self.timeout = .seconds(Int64(seconds))
        self.group = group
    }

    /// Splits `host:port`, `[v6]:port` included.
    static func hostAndPort(_ address: String) throws -> (String, Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              (1...65535).contains(port) else {
            throw AuditError("address must be host:port")
        }
        var host = Substring(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty else { throw AuditError("address must be host:port") }
        return (String(host), port)
    }

    public func write(_ lines: [[UInt8]]) async throws {
        guard !lines.isEmpty else { return }
        let channel = try await connectedChannel()
        // A peer that stops reading fills the send buffer; the write must give up in time.
        let deadline = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        defer { deadline.cancel() }
        do {
            if kind == .udp {
                // Over UDP each entry is a datagram of its own.
                for line in lines.dropLast() { channel.write(buffer([line], channel.allocator), promise: nil) }
                try await channel.writeAndFlush(buffer([lines[lines.count - 1]], channel.allocator))
            } else {
                try await channel.writeAndFlush(buffer(lines, channel.allocator))
            }
        } catch {
            drop(channel)
            throw AuditError("audit socket \(address): \(error)")
        }
    }

    private func buffer(_ lines: [[UInt8]], _ allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: lines.reduce(0) { $0 + $1.count + 1 })
        for line in lines {
            buffer.writeBytes(line)
            buffer.writeInteger(UInt8(0x0a))
        }
        return buffer
    }

    /// The open connection, or a new one. The broker writes one batch at a time, so two
    /// connects never race.
    private func connectedChannel() async throws -> any Channel {
        let current = channel.withLock { $0 }
        if let current, current.isActive { return current }
        if let current { drop(current) }
        let fresh: any Channel
        do {
            fresh = try await connect()
        } catch {
            throw AuditError("cannot connect to \(address): \(error)")
        }
        channel.withLock { $0 = fresh }
        return fresh
    }

    private func connect() async throws -> any Channel {
        switch kind {
        case .unix:
            return try await ClientBootstrap(group: group).connectTimeout(timeout).connect(unixDomainSocketPath: address).get()
        case .tcp:
            let (host, port) = try Self.hostAndPort(address)
            return try await ClientBootstrap(group: group).connectTimeout(timeout).connect(host: host, port: port).get()
        case .udp:
            let (host, port) = try Self.hostAndPort(address)
            return try await DatagramBootstrap(group: group).connect(host: host, port: port).get()
        }
    }

    private func drop(_ stale: any Channel) {
        channel.withLock { current in
            if current === stale { current = nil }
        }
        stale.close(promise: nil)
    }

    public func close() async {
        let current = channel.withLock { current -> (any Channel)? in
            defer { current = nil }
            return current
        }
        try? await current?.close()
    }
}

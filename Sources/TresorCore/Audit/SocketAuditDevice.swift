import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Sends entries to a TCP, UDP or Unix socket, one JSON line each. A dead peer is noticed
/// before writing (a closed TCP connection reads as hang-up), so an entry is never counted as
/// written into a connection nobody is reading; the device reconnects on the next entry.
public final class SocketAuditDevice: AuditDevice {
    private let address: String
    private let kind: String
    private let timeout: Int
    private let fd = Mutex<Int32>(-1)
    /// Blocking socket calls run here, never on the cooperative pool.
    private let queue = DispatchQueue(label: "tresor.audit.socket")

    public init(options: [String: String]) throws {
        guard let address = options["address"], !address.isEmpty else { throw AuditError("address is required") }
        let kind = options["socket_type"] ?? "tcp"
        guard ["tcp", "udp", "unix"].contains(kind) else { throw AuditError("socket_type must be tcp, udp or unix") }
        self.address = address
        self.kind = kind
        self.timeout = Int(DurationParser.seconds(options["write_timeout"] ?? "2s") ?? 2)
    }

    public func write(_ lines: [[UInt8]]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            queue.async {
                do {
                    // One send per line: over UDP each entry is a datagram of its own.
                    for line in lines { try self.send(line + [0x0a]) }
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    private func send(_ bytes: [UInt8]) throws {
        var socket = fd.withLock { $0 }
        if socket >= 0 && kind != "udp" && peerHungUp(socket) {
            closeSocket()
            socket = -1
        }
        if socket < 0 {
            socket = try connectSocket()
            fd.withLock { $0 = socket }
        }
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                closeSocket()
                throw AuditError("audit socket \(address): \(reason)")
            }
            offset += sent
        }
    }

    /// Linux's POLLRDHUP: the peer closed its end. Glibc's module does not export it.
    private static let pollReadHangUp: Int16 = 0x2000

    private func peerHungUp(_ socket: Int32) -> Bool {
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN) | Self.pollReadHangUp, revents: 0)
        guard poll(&descriptor, 1, 0) > 0 else { return false }
        // The peer of an audit socket never speaks, so anything readable is the end of the stream.
        return descriptor.revents & (Self.pollReadHangUp | Int16(POLLHUP | POLLERR | POLLIN)) != 0
    }

    private func closeSocket() {
        let socket = fd.withLock { current -> Int32 in
            defer { current = -1 }
            return current
        }
        if socket >= 0 { Glibc.close(socket) }
    }

    private func connectSocket() throws -> Int32 {
        if kind == "unix" {
            let socket = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard socket >= 0 else { throw AuditError("socket: \(String(cString: strerror(errno)))") }
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            let pathBytes = Array(address.utf8)
            guard pathBytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { throw AuditError("unix socket path too long") }
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in
                for (i, byte) in pathBytes.enumerated() { raw[i] = byte }
            }
            let result = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard result == 0 else {
                let reason = String(cString: strerror(errno))
                Glibc.close(socket)
                throw AuditError("cannot connect to \(address): \(reason)")
            }
            setTimeout(socket)
            return socket
        }
        guard let colon = address.lastIndex(of: ":") else { throw AuditError("address must be host:port") }
        let host = String(address[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let port = String(address[address.index(after: colon)...])
        var hints = addrinfo()
        hints.ai_socktype = kind == "udp" ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, port, &hints, &result) == 0, let info = result else {
            throw AuditError("cannot resolve \(address)")
        }
        defer { freeaddrinfo(result) }
        let socket = Glibc.socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard socket >= 0 else { throw AuditError("socket: \(String(cString: strerror(errno)))") }
        setTimeout(socket)
        guard Glibc.connect(socket, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(socket)
            throw AuditError("cannot connect to \(address): \(reason)")
        }
        return socket
    }

    private func setTimeout(_ socket: Int32) {
        var value = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    public func close() async {
        closeSocket()
    }
}

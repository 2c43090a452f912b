import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOPosix
import Synchronization
import TresorCore

/// Writes entries to a file (or stdout), one JSON line each. Refuses anything that could turn
/// an audit device into a way to write other files: relative paths, symlinks, executable
/// modes, and a line prefix unless the operator allowed prefixes in the server config.
///
/// The write system call runs on the device's own thread, never on an event loop: a disk that
/// stalls parks the requests waiting for their entries, and nothing else. The thread is the
/// device's own rather than the shared pool's so that audit writes never queue behind password
/// hashing. The broker batches lines, so one write serves every request that arrived meanwhile.
public final class FileAuditDevice: AuditDevice {
    private let path: String
    private let mode: mode_t?
    private let prefix: [UInt8]
    private let fd = Mutex<Int32>(-1)
    private let writer = NIOThreadPool(numberOfThreads: 1)

    public init(options: [String: String], allowPrefix: Bool) throws {
        guard let path = options["file_path"] ?? options["path"], !path.isEmpty else {
            throw AuditError("file_path is required")
        }
        let prefix = options["prefix"] ?? ""
        if !prefix.isEmpty && !allowPrefix {
            throw AuditError("the prefix option is disabled on this server (allow_audit_log_prefixing in the server config)")
        }
        self.prefix = Array(prefix.utf8)
        if let modeText = options["mode"], !modeText.isEmpty {
            guard let parsed = mode_t(modeText, radix: 8), parsed <= 0o777 else {
                throw AuditError("mode must be an octal permission such as 0600")
            }
            guard parsed & 0o111 == 0 else {
                throw AuditError("mode \(modeText) would make the audit log executable")
            }
            mode = parsed == 0 ? nil : parsed
        } else {
            mode = 0o600
        }
        self.path = path
        if path == "stdout" || path == "discard" {
            writer.start()
            return
        }
        guard path.hasPrefix("/") else { throw AuditError("file_path must be an absolute path") }
        guard !path.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
            throw AuditError("file_path must not contain . or .. segments")
        }
        try openFile()
        writer.start()
    }

    deinit {
        writer.shutdownGracefully { _ in }
        let descriptor = fd.withLock { $0 }
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    private func openFile() throws {
        let descriptor = try openDescriptor()
        let previous = fd.withLock { current -> Int32 in
            defer { current = descriptor }
            return current
        }
        if previous >= 0 { Glibc.close(previous) }
    }

    private func openDescriptor() throws -> Int32 {
        var info = stat()
        if lstat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG {
            throw AuditError("\(path) exists and is not a regular file")
        }
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode ?? 0o600)
        guard descriptor >= 0 else {
            throw AuditError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        if let mode { fchmod(descriptor, mode) }
        return descriptor
    }

    public func write(_ lines: [[UInt8]]) async throws {
        if path == "discard" { return }
        try await writer.runIfActive { try self.writeNow(lines) }
    }

    /// Blocking: only on the writer thread.
    private func writeNow(_ lines: [[UInt8]]) throws {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(lines.reduce(0) { $0 + prefix.count + $1.count + 1 })
        for line in lines {
            bytes += prefix
            bytes += line
            bytes.append(0x0a)
        }
        if path == "stdout" {
            try Self.writeAll(bytes, to: STDOUT_FILENO, path: path)
            return
        }
        // The descriptor stays locked for the write, so a reopen or close cannot swap it out
        // (and its number be reused by another file) halfway.
        try fd.withLock { descriptor in
            if descriptor < 0 {
                // Closed by a failed reopen: try again, so the device recovers once its file can be written.
                descriptor = try openDescriptor()
            }
            try Self.writeAll(bytes, to: descriptor, path: path)
        }
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw AuditError("write to \(path) failed: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    /// After rotation the file at `path` is new. If it cannot be opened the old file is closed
    /// too: entries must not keep flowing into a file the operator has moved away.
    public func reopen() async throws -> Bool {
        guard path != "stdout" && path != "discard" else { return false }
        try await writer.runIfActive {
            do {
                try self.openFile()
            } catch {
                self.closeDescriptor()
                throw error
            }
        }
        return true
    }

    public func close() async {
        try? await writer.shutdownGracefully()
        closeDescriptor()
    }

    private func closeDescriptor() {
        let descriptor = fd.withLock { current -> Int32 in
            defer { current = -1 }
            return current
        }
        if descriptor >= 0 { Glibc.close(descriptor) }
    }
}

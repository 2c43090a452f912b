import Foundation
import Synchronization

/// Where log lines go: stderr always, and the `log_file` when one is configured, rotated as
/// Vault rotates it. `log_rotate_bytes` (0: no size limit) and `log_rotate_duration` (default
/// 24h) start a new file; the old one is renamed with the time of rotation in its name
/// (`tresor-1764670000000000000.log`); `log_rotate_max_files` keeps that many old files
/// (0: all, -1: none).
///
/// Lines are written whole under one lock with plain `write(2)` calls: log lines are rare on
/// the request path (errors, and every request only at debug level), and a line must never
/// interleave with another or be lost in a buffer when the process dies.
final class LogSink: Sendable {
    struct FileSettings: Sendable, Equatable {
        var path: String
        var rotateBytes = 0
        var rotateDuration: Duration = .seconds(24 * 3600)
        var rotateMaxFiles = 0
    }

    private struct OpenFile {
        var descriptor: Int32
        var bytes: Int
        var opened: Date
    }

    private let settings: FileSettings?
    private let file: Mutex<OpenFile?>
    private let console = Mutex(())

    /// Opens (creating or appending to) the log file, so a bad path fails at start.
    init(file settings: FileSettings?) throws {
        self.settings = settings
        guard let settings else {
            file = Mutex(nil)
            return
        }
        file = Mutex(try Self.open(settings.path))
    }

    /// `log_file` as Vault reads it: a path ending in "/" is a directory that gets the default
    /// name, and a name without an extension gets ".log".
    static func resolve(_ configured: String) -> String {
        if configured.hasSuffix("/") { return configured + "tresor.log" }
        let name = (configured as NSString).lastPathComponent
        return name.contains(".") ? configured : configured + ".log"
    }

    func write(_ line: [UInt8], at time: Date) {
        console.withLock { _ in Self.writeAll(2, line) }
        guard let settings else { return }
        file.withLock { open in
            guard var current = open else { return }
            let tooBig = settings.rotateBytes > 0 && current.bytes + line.count > settings.rotateBytes && current.bytes > 0
            let tooOld = settings.rotateDuration > .zero
                && time.timeIntervalSince(current.opened) >= Double(settings.rotateDuration.components.seconds)
            if tooBig || tooOld, let next = rotate(current, settings: settings, at: time) {
                current = next
            }
            Self.writeAll(current.descriptor, line)
            current.bytes += line.count
            open = current
        }
    }

    func close() {
        file.withLock { open in
            if let descriptor = open?.descriptor { Glibc.close(descriptor) }
            open = nil
        }
    }

    private func rotate(_ current: OpenFile, settings: FileSettings, at time: Date) -> OpenFile? {
        let path = settings.path
        let ext = (path as NSString).pathExtension
        let base = ext.isEmpty ? path : String(path.dropLast(ext.count + 1))
        let stamp = UInt64(time.timeIntervalSince1970 * 1_000_000_000)
        let rotated = "\(base)-\(stamp)\(ext.isEmpty ? "" : "." + ext)"
        guard rename(path, rotated) == 0, let next = try? Self.open(path) else { return nil }
        Glibc.close(current.descriptor)
        prune(base: base, ext: ext, keep: settings.rotateMaxFiles)
        return next
    }

    /// Removes the oldest rotated files beyond `keep` (0 keeps all; -1 keeps none).
    private func prune(base: String, ext: String, keep: Int) {
        guard keep != 0 else { return }
        let directory = (base as NSString).deletingLastPathComponent
        let stem = (base as NSString).lastPathComponent + "-"
        let suffix = ext.isEmpty ? "" : "." + ext
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
        let rotated = names.filter { name in
            guard name.hasPrefix(stem), name.hasSuffix(suffix) else { return false }
            let stamp = name.dropFirst(stem.count).dropLast(suffix.count)
            return !stamp.isEmpty && stamp.allSatisfy(\.isNumber)
        }.sorted { a, b in
            // By the time in the name, as a number: the oldest first.
            let stamp = { (name: String) in UInt64(name.dropFirst(stem.count).dropLast(suffix.count)) ?? 0 }
            return stamp(a) < stamp(b)
        }
        let excess = keep < 0 ? rotated.count : max(0, rotated.count - keep)
        for name in rotated.prefix(excess) {
            unlink((directory.isEmpty ? "" : directory + "/") + name)
        }
    }

    private static func open(_ path: String) throws -> OpenFile {
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw LogFileError(description: "cannot open log_file \(path): \(String(cString: strerror(errno)))")
        }
        var status = stat()
        let size = fstat(descriptor, &status) == 0 ? Int(status.st_size) : 0
        return OpenFile(descriptor: descriptor, bytes: size, opened: Date())
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}

struct LogFileError: Error, CustomStringConvertible {
    let description: String
}

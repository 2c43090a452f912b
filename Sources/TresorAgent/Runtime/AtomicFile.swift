import Foundation

/// Writes a file so readers see the old content or the new, never a part: a temporary file in
/// the same directory, flushed, then renamed over the destination.
enum AtomicFile {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// `exactMode`: the file gets `mode` whatever the umask (templates, as consul-template does);
    /// otherwise the umask narrows it (token sinks, as Vault Agent's do).
    static func write(_ bytes: [UInt8], to path: String, mode: UInt16, createDirectories: Bool, exactMode: Bool = true) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if createDirectories, !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
        }
        let temporary = (directory.isEmpty ? "." : directory) + "/." + (path as NSString).lastPathComponent + ".tmp" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        guard descriptor >= 0 else { throw Failure(description: "open \(temporary): \(String(cString: strerror(errno)))") }
        var ok = false
        defer {
            if !ok { unlink(temporary) }
        }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            guard result > 0 else {
                close(descriptor)
                throw Failure(description: "write \(temporary): \(String(cString: strerror(errno)))")
            }
            written += result
        }
        if exactMode { fchmod(descriptor, mode_t(mode)) }
        fsync(descriptor)
        close(descriptor)
        guard rename(temporary, path) == 0 else { throw Failure(description: "rename to \(path): \(String(cString: strerror(errno)))") }
        ok = true
    }
}

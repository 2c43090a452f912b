import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `~/.vault-token`, which `login` and the dev server write and every command reads.
///
/// Written with plain POSIX calls: the file is created 0600 and an existing one is set to 0600
/// before the token goes in (Foundation's createFile writes a temporary file with the umask's
/// mode, renames it and only then sets the mode, leaving a moment where others may open it),
/// and a symbolic link in its place is refused rather than followed.
public enum TokenHelperFile {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func path(home: String) -> String { home + "/.vault-token" }

    public static func write(_ token: String, home: String) throws {
        let path = path(home: home)
        // No O_TRUNC: truncating to zero frees the file's block, and on a file system mounted
        // with `discard` that waits for the disk. Overwriting, then cutting to length, keeps it.
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        // An existing file keeps its mode on open; the token must not stay readable by others.
        guard fchmod(fd, 0o600) == 0 else { throw Failure(description: "cannot restrict \(path) to its owner") }
        let bytes = Array(token.utf8)
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard written == bytes.count, ftruncate(fd, off_t(bytes.count)) == 0 else {
            throw Failure(description: "cannot write \(path)")
        }
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What the server process does for itself at start, as the config asks: lock its memory so
/// keys never reach swap (`disable_mlock = false`, Vault's default), and write its PID file.
enum ServerProcess {
    static func lockMemory() throws {
        guard mlockall(MCL_CURRENT | MCL_FUTURE) == 0 else {
            let reason = String(cString: strerror(errno))
            throw ServerProcessError(message: """
                failed to lock memory: \(reason). Tresor uses mlock to keep keys out of swap; this needs \
                root or the IPC_LOCK capability. To run without it, set disable_mlock = true in the configuration.
                """)
        }
    }

    /// Writes the PID (mode 0644, as Vault does) and returns a closure that removes the file.
    static func writePIDFile(_ path: String) throws -> @Sendable () -> Void {
        let pid = "\(getpid())\n"
        guard FileManager.default.createFile(atPath: path, contents: Data(pid.utf8), attributes: [.posixPermissions: 0o644]) else {
            throw ServerProcessError(message: "cannot write pid_file \(path)")
        }
        return { try? FileManager.default.removeItem(atPath: path) }
    }
}

struct ServerProcessError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

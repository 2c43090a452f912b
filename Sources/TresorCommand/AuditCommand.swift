import ArgumentParser
import Foundation
import TresorCLI
@_spi(Server) import TresorCore

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Enable, disable and list audit devices; verify audit logs.",
        subcommands: CLICommands.audit + [AuditVerifyCommand.self])
}

struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that an audit log file is whole: no line changed, removed or inserted.",
        discussion: """
        Every line Tresor writes carries the SHA-256 of the line before it. This walks the chain
        and names the first place it breaks.

        Example:
          tresor audit verify /var/log/tresor/audit.log
        """)

    @Argument(help: "The audit log file.")
    var file: String

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            FileHandle.standardError.write(Data("Error: cannot read \(file)\n".utf8))
            throw ExitCode(1)
        }
        let report = AuditChain.verify(Array(data))
        if let reason = report.reason {
            FileHandle.standardError.write(Data("Error: \(file): chain broken at line \(report.brokenAt ?? 0): \(reason)\n".utf8))
            throw ExitCode(2)
        }
        let start = report.startsAfter.isEmpty ? "" : " (continues from \(report.startsAfter))"
        print("Success! \(file): \(report.lines) entries, chain intact\(start)")
    }
}

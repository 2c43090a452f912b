import ArgumentParser

/// The client commands, for the `tresor` binary to list beside `server`.
public enum CLICommands {
    public static let all: [ParsableCommand.Type] = [
        StatusCommand.self, LoginCommand.self, ReadCommand.self, WriteCommand.self, ListCommand.self, DeleteCommand.self,
        KVCommand.self, PolicyCommand.self, TokenCommand.self, SecretsCommand.self, AuthCommand.self, LeaseCommand.self,
        OperatorCommand.self, PathHelpCommand.self, TransitCommand.self,
    ]

    /// `audit enable|disable|list`; the binary adds `verify`, which reads files, not the API.
    public static let audit: [ParsableCommand.Type] = [AuditEnable.self, AuditDisable.self, AuditList.self]

    /// The names of every top-level command, to tell an unknown command from bad arguments.
    public static var names: Set<String> { Set(all.map { $0.configuration.commandName ?? "" }) }
}

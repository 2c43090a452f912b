import ArgumentParser
import Foundation
import TresorAgent
import TresorInjector

/// `tresor agent -config=FILE [-config=FILE...]`: Vault Agent's command.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent", abstract: "Run the agent: auto-auth, token sinks, templates, exec.",
        discussion: "Usage: tresor agent -config=agent.hcl\n\nSeveral -config files (HCL or JSON) are merged in order.")

    @Option(name: .customLong("config"), help: "A configuration file; repeat to merge several.")
    var config: [String] = []

    @Option(name: .customLong("config-env"), help: "An environment variable holding a base64 configuration (the injector's VAULT_CONFIG).")
    var configEnv: [String] = []

    @Option(name: .customLong("log-level"), help: "trace, debug, info, warn or error.")
    var logLevel: String?

    @Flag(name: .customLong("exit-after-auth"), help: "Exit after authenticating and rendering every template once.")
    var exitAfterAuth = false

    func run() async throws {
        let status = await Agent.run(configPaths: config, configEnvironment: configEnv, logLevel: logLevel, exitAfterAuth: exitAfterAuth)
        if status != 0 { throw ExitCode(status) }
    }
}

/// `tresor run -env 'NAME=path#key' ... -- command [args]`.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a command with secrets in its environment.",
        discussion: """
            Usage: tresor run -env 'DB_PASS=database/creds/app#password' -env 'API_KEY=secret/data/app#api_key' -- ./myapp

            Logs in (VAULT_TOKEN, the saved token, or -method approle|kubernetes), reads each reference, runs the \
            command with the values in its environment, renews their leases while it runs and revokes them when it \
            exits. Exits with the command's status.
            """)

    @Option(name: .customLong("env"), help: "NAME=path#key; repeat for several.")
    var env: [String] = []

    @Option(name: .customLong("method"), help: "token (default), approle or kubernetes.")
    var method = "token"

    @Option(name: .customLong("mount-path"), help: "Where the auth method is mounted (default auth/<method>).")
    var mountPath: String?

    @Option(name: .customLong("role-id-file")) var roleIDFile: String?
    @Option(name: .customLong("secret-id-file")) var secretIDFile: String?
    @Option(name: .customLong("role"), help: "The Kubernetes auth role.") var role: String?
    @Option(name: .customLong("token-path"), help: "The service account token (Kubernetes).") var tokenPath: String?

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments, after --.")
    var command: [String] = []

    func run() async throws {
        var references: [Run.Reference] = []
        for text in env {
            guard let reference = Run.Reference(text) else {
                throw ValidationError("-env \"\(text)\" must be NAME=path#key")
            }
            references.append(reference)
        }
        var auth: AgentConfig.Method?
        switch method {
        case "token": auth = nil
        case "approle":
            guard let roleIDFile else { throw ValidationError("-method=approle needs -role-id-file") }
            var config = ["role_id_file_path": roleIDFile, "remove_secret_id_file_after_reading": "false"]
            if let secretIDFile { config["secret_id_file_path"] = secretIDFile }
            auth = AgentConfig.Method(type: "approle", mountPath: mountPath ?? "auth/approle", config: config)
        case "kubernetes":
            guard let role else { throw ValidationError("-method=kubernetes needs -role") }
            var config = ["role": role]
            if let tokenPath { config["token_path"] = tokenPath }
            auth = AgentConfig.Method(type: "kubernetes", mountPath: mountPath ?? "auth/kubernetes", config: config)
        default:
            throw ValidationError("-method must be token, approle or kubernetes")
        }
        let arguments = command.first == "--" ? Array(command.dropFirst()) : command
        let status = await Run.run(Run.Options(references: references, command: arguments, method: auth))
        if status != 0 { throw ExitCode(status) }
    }
}

/// `tresor injector [-flag=value...]`: the Kubernetes mutating webhook (vault-k8s's flags and
/// `AGENT_INJECT_*` variables).
struct InjectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "injector", abstract: "Run the Kubernetes sidecar injector (a mutating admission webhook).",
        discussion: """
            Usage: tresor injector -vault-address=http://tresor.tresor.svc:8200 -tls-auto=tresor-agent-injector-cfg \
            -tls-auto-hosts=tresor-agent-injector-svc,tresor-agent-injector-svc.tresor.svc

            Flags: -listen (:8080), -tls-auto, -tls-auto-hosts, -tls-cert-file, -tls-key-file, -vault-address, \
            -agent-image, -vault-auth-type, -vault-auth-path, -log-level, -log-format, -run-as-user, -run-as-group, \
            -run-as-same-user, -set-security-context, -cpu-request, -cpu-limit, -memory-request, -memory-limit, \
            -default-template; each also from its AGENT_INJECT_* environment variable.
            """)

    @Argument(parsing: .allUnrecognized) var flags: [String] = []

    func run() async throws {
        let status = await Injector.run(arguments: flags)
        if status != 0 { throw ExitCode(status) }
    }
}

import Foundation
import TresorJSON

/// `tresor run -env 'NAME=path#key' ... -- command`: logs in, reads each reference, runs the
/// command with the values in its environment, keeps their leases renewed while it runs, revokes
/// them when it exits, and exits with its status. One line in place of a `.env` file.
public enum Run {
    public struct Reference: Sendable, Equatable {
        public let name: String
        public let path: String
        public let key: String

        /// `NAME=path#key`.
        public init?(_ text: String) {
            guard let equals = text.firstIndex(of: "="), let hash = text.lastIndex(of: "#"), equals < hash else { return nil }
            name = String(text[..<equals])
            path = String(text[text.index(after: equals)..<hash]).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            key = String(text[text.index(after: hash)...])
            guard !name.isEmpty, !path.isEmpty, !key.isEmpty, name.allSatisfy({ $0 == "_" || $0.isLetter || $0.isNumber }) else { return nil }
        }
    }

    public struct Options: Sendable {
        public var references: [Reference]
        public var command: [String]
        public var method: AgentConfig.Method?
        public var vault = AgentConfig.Vault()

        public init(references: [Reference], command: [String], method: AgentConfig.Method?) {
            self.references = references
            self.command = command
            self.method = method
        }
    }

    struct Lease {
        let id: String
        let duration: Int64
        let renewable: Bool
    }

    public static func run(_ options: Options, environment: [String: String] = ProcessInfo.processInfo.environment) async -> Int32 {
        let log = AgentLog(level: environment["TRESOR_RUN_LOG_LEVEL"] ?? "warn")
        do {
            return try await execute(options, log: log, environment: environment)
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            return 1
        }
    }

    static func execute(_ options: Options, log: AgentLog, environment: [String: String]) async throws -> Int32 {
        guard !options.command.isEmpty else { throw AgentFailure("a command to run is required after --") }
        let client = try AgentClient(options.vault, environment: environment)
        let token: String
        if let method = options.method {
            token = try await AutoAuth(method: method, sinks: [], client: client, log: log).authenticate(attempts: 1).token
        } else if let fromEnvironment = environment["VAULT_TOKEN"] ?? environment["BAO_TOKEN"], !fromEnvironment.isEmpty {
            token = fromEnvironment
        } else if let home = environment["HOME"], let saved = try? String(contentsOfFile: home + "/.vault-token", encoding: .utf8) {
            token = saved.trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            throw AgentFailure("no token: set VAULT_TOKEN, log in first, or give an auth method")
        }
        var values: [String: String] = [:]
        var leases: [Lease] = []
        // One read per path, however many references use it.
        var responses: [String: [String: JSONValue]] = [:]
        for reference in options.references {
            if responses[reference.path] == nil {
                let response = try await client.request("GET", reference.path, token: token)
                guard response.isSuccess, let object = response.json?.objectValue else {
                    throw AgentFailure("reading \(reference.path): \(response.errors.first ?? "status \(response.status)")")
                }
                responses[reference.path] = object
                let id = object["lease_id"]?.stringValue ?? ""
                if !id.isEmpty {
                    leases.append(Lease(id: id, duration: AutoAuth.int(object["lease_duration"]), renewable: object["renewable"]?.boolValue ?? false))
                }
            }
            let data = responses[reference.path]?["data"]?.objectValue ?? [:]
            // KV v2 keeps the secret under data.data.
            var fields = data
            if data["metadata"] != nil, let inner = data["data"]?.objectValue { fields = inner }
            guard let value = fields[reference.key] else {
                throw AgentFailure("\(reference.path) has no key \"\(reference.key)\" (for \(reference.name))")
            }
            values[reference.name] = value.stringValue ?? String(decoding: JSONWriter.encode(value), as: UTF8.self)
        }
        let supervisor = ExecSupervisor(config: AgentConfig.Exec(command: options.command, restartOnSecretChanges: "never"), log: log)
        let signals = SignalWatcher([SIGTERM, SIGINT, SIGHUP, SIGQUIT])
        try await supervisor.start(environment: values)
        let renewals = Task {
            await keepRenewed(leases, client: client, token: token, log: log)
        }
        let forwarding = Task {
            for await signal in signals.stream { await supervisor.forward(signal) }
        }
        let status = await supervisor.wait()
        renewals.cancel()
        forwarding.cancel()
        for lease in leases {
            let revoked = try? await client.request("PUT", "sys/leases/revoke", token: token, body: .object(["lease_id": .string(lease.id)]))
            if revoked?.isSuccess != true { log.warn("run", "could not revoke lease \(lease.id)") }
        }
        return status
    }

    /// Renews every renewable lease at about two thirds of its duration while the child runs.
    static func keepRenewed(_ leases: [Lease], client: AgentClient, token: String, log: AgentLog) async {
        let renewable = leases.filter { $0.renewable && $0.duration > 0 }
        guard !renewable.isEmpty else { return }
        var durations = Dictionary(uniqueKeysWithValues: renewable.map { ($0.id, $0.duration) })
        while !Task.isCancelled {
            let shortest = durations.values.min() ?? 60
            try? await Task.sleep(for: .milliseconds(Int64(Double(shortest) * 1000 * Double.random(in: 0.6...0.7))))
            if Task.isCancelled { return }
            for (id, duration) in durations {
                let response = try? await client.request("PUT", "sys/leases/renew", token: token,
                                                         body: .object(["lease_id": .string(id), "increment": .int(duration)]))
                if let response, response.isSuccess {
                    durations[id] = max(AutoAuth.int(response.json?.objectValue?["lease_duration"]), 1)
                } else {
                    log.warn("run", "could not renew lease \(id)")
                }
            }
        }
    }
}

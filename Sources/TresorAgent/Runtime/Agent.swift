import Foundation
import Logging
import Synchronization

/// `tresor agent -config=FILE...`: authenticates, writes the token to its sinks, renders templates
/// and keeps both fresh; with `exit_after_auth` it stops after the first render, and with `exec`
/// it supervises a child process that sees the rendered secrets in its environment.
public enum Agent {
    /// Runs until done; returns the process's exit status.
    /// `configEnvironment` names environment variables holding base64 configuration (the
    /// injector's `VAULT_CONFIG`), read after the files. `VAULT_LOG_LEVEL` applies when neither
    /// the flag nor the configuration sets a level, as with Vault Agent.
    public static func run(configPaths: [String], configEnvironment: [String] = [], logLevel: String?, exitAfterAuth: Bool,
                           environment: [String: String] = ProcessInfo.processInfo.environment) async -> Int32 {
        let fallbackLevel = environment["VAULT_LOG_LEVEL"].flatMap { $0.isEmpty ? nil : $0.lowercased() }
        var log = AgentLog(level: logLevel ?? fallbackLevel ?? "info")
        do {
            var documents = try AgentConfigLoader.read(paths: configPaths)
            for name in configEnvironment { documents.append(try AgentConfigLoader.document(fromEnvironment: name, environment)) }
            var config = try AgentConfigLoader.load(documents: documents)
            if exitAfterAuth { config.exitAfterAuth = true }
            if logLevel == nil { log = AgentLog(level: config.logLevel ?? fallbackLevel ?? "info") }
            return try await run(config, log: log, environment: environment)
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            return 1
        }
    }

    static func run(_ config: AgentConfig, log: AgentLog, environment: [String: String]) async throws -> Int32 {
        var config = config
        config.vault = try config.vault.applyingEnvironment(environment)
        let client = try AgentClient(config.vault, environment: environment)
        let runner = try TemplateRunner(config: config, fetcher: SecretFetcher(client: client, settings: config.templateConfig), log: log)
        if !config.pidFile.isEmpty {
            try? Data("\(getpid())".utf8).write(to: URL(fileURLWithPath: config.pidFile))
        }
        defer { if !config.pidFile.isEmpty { try? FileManager.default.removeItem(atPath: config.pidFile) } }
        let signals = SignalWatcher([SIGTERM, SIGINT, SIGHUP])
        log.info("agent", "starting: version=Tresor address=\(client.client.address)")

        var auth: AutoAuth?
        let token: String
        if let method = config.methods.first {
            let autoAuth = AutoAuth(method: method, sinks: config.sinks, client: client, log: log)
            auth = autoAuth
            // Once the agent means to exit after authenticating, failures must end it too.
            token = try await autoAuth.authenticate(attempts: config.exitAfterAuth ? config.vault.numRetries + 1 : nil).token
            await autoAuth.onNewToken { fresh in await runner.tokenChanged(fresh.token) }
        } else if let fromEnvironment = environment["VAULT_TOKEN"] ?? environment["BAO_TOKEN"], !fromEnvironment.isEmpty {
            token = fromEnvironment
        } else {
            throw AgentFailure("no auto_auth method is configured and VAULT_TOKEN is not set: the agent has no token to use")
        }
        await runner.tokenChanged(token)
        try await runner.renderAll()
        if config.exitAfterAuth {
            log.info("agent", "exit_after_auth is set: exiting after the first render")
            return 0
        }

        var supervisor: ExecSupervisor?
        if let exec = config.exec {
            let child = ExecSupervisor(config: exec, log: log)
            try await child.start(environment: await runner.environment())
            await runner.setEnvironmentListener { rendered in await child.environmentChanged(rendered) }
            supervisor = child
        }
        let child = supervisor
        let (quits, quit) = AsyncStream<Void>.makeStream()
        let proxyListeners = try config.listeners.map { listener in
            try APIProxy.listener(listener, proxy: APIProxy(server: client.client.address, client: client.client.httpClient,
                                                            tokenMode: config.useAutoAuthToken, auth: auth, log: log),
                                  logger: Logger(label: "agent.proxy"), quit: { quit.yield() })
        }
        for listener in config.listeners { log.info("agent", "API proxy listening: \(listener.type) \(listener.address)") }
        return try await withThrowingTaskGroup(of: Int32?.self) { group in
            for listener in proxyListeners { group.addTask { try await listener.run(); return nil } }
            if let auth { group.addTask { await auth.keepAlive(); return nil } }
            group.addTask { try await runner.run(); return nil }
            group.addTask {
                for await signal in signals.stream {
                    if let child {
                        await child.forward(signal)
                    } else if signal != SIGHUP {
                        log.info("agent", "shutdown triggered by signal \(signal)")
                        return 0
                    }
                }
                return nil
            }
            if let child { group.addTask { await child.wait() } }
            group.addTask {
                for await _ in quits {
                    log.info("agent", "shutdown triggered by the quit endpoint")
                    // With a child process, the agent ends when the child has ended.
                    guard let child else { return 0 }
                    await child.forward(SIGTERM)
                    return nil
                }
                return nil
            }
            while let finished = try await group.next() {
                if let status = finished {
                    group.cancelAll()
                    return status
                }
            }
            return 0
        }
    }
}

/// The agent's own signals as a stream, handled on a dispatch queue rather than in a handler.
final class SignalWatcher: Sendable {
    let stream: AsyncStream<Int32>
    /// Kept alive as long as the watcher; a Mutex because dispatch sources are not Sendable.
    private let sources: Mutex<[any DispatchSourceSignal]>

    init(_ signals: [Int32]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.stream = stream
        sources = Mutex(signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        })
    }
}

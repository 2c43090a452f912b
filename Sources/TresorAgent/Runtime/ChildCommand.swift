import Foundation

/// A template's `command`: run to completion (or killed at its timeout); its status.
enum ChildCommand {
    static func run(_ arguments: [String], timeout: Duration) async -> Int32 {
        guard let executable = arguments.first else { return 0 }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.contains("/") ? executable : "/usr/bin/env")
        process.arguments = executable.contains("/") ? Array(arguments.dropFirst()) : arguments
        do {
            try process.run()
        } catch {
            return 127
        }
        let killer = Task {
            try await Task.sleep(for: timeout)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume()
            }
        }
        killer.cancel()
        return process.terminationStatus
    }
}

/// `exec`: one child with the rendered secrets in its environment, restarted when they change
/// (with `restart_on_secret_changes = "always"`), told of the agent's own SIGTERM, SIGINT and
/// SIGHUP; the agent ends with the child's status.
actor ExecSupervisor {
    let config: AgentConfig.Exec
    let log: AgentLog
    var process: Process?
    var environment: [String: String] = [:]
    var restarting = false
    var exited: CheckedContinuation<Int32, Never>?
    var finalStatus: Int32?

    init(config: AgentConfig.Exec, log: AgentLog) {
        self.config = config
        self.log = log
    }

    func start(environment: [String: String]) throws {
        self.environment = environment
        try launch()
    }

    private func launch() throws {
        let process = Process()
        let executable = config.command[0]
        process.executableURL = URL(fileURLWithPath: executable.contains("/") ? executable : "/usr/bin/env")
        process.arguments = executable.contains("/") ? Array(config.command.dropFirst()) : config.command
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, rendered in rendered }
        process.terminationHandler = { [weak self] finished in
            let status = finished.terminationReason == .uncaughtSignal ? 128 + finished.terminationStatus : finished.terminationStatus
            Task { await self?.childExited(finished, status: status) }
        }
        do {
            try process.run()
        } catch {
            throw AgentFailure("exec: cannot start \(config.command): \(error.localizedDescription)")
        }
        self.process = process
        log.info("exec.server", "started the child process: pid=\(process.processIdentifier)")
    }

    private func childExited(_ finished: Process, status: Int32) {
        guard finished === process else { return }
        if restarting { return }
        log.info("exec.server", "the child process exited: status=\(status)")
        finalStatus = status
        exited?.resume(returning: status)
        exited = nil
    }

    /// The child's status once it ends on its own (or after a forwarded signal).
    func wait() async -> Int32 {
        if let finalStatus { return finalStatus }
        return await withCheckedContinuation { exited = $0 }
    }

    func environmentChanged(_ rendered: [String: String]) async {
        guard rendered != environment else { return }
        environment = rendered
        guard config.restartOnSecretChanges == "always", let current = process, current.isRunning else { return }
        log.info("exec.server", "secrets changed; restarting the child process")
        restarting = true
        kill(current.processIdentifier, config.restartStopSignal)
        let deadline = ContinuousClock.now + .seconds(30)
        while current.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if current.isRunning { kill(current.processIdentifier, SIGKILL) }
        restarting = false
        do {
            try launch()
        } catch {
            log.error("exec.server", "\(error)")
            finalStatus = 1
            exited?.resume(returning: 1)
            exited = nil
        }
    }

    func forward(_ signal: Int32) {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, signal)
    }
}

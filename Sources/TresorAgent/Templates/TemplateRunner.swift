import Foundation
import GoTemplate

/// Renders the agent's templates the way consul-template does: render, fetch what the template
/// asked for and was missing, render again; then keep each dependency fresh (static secrets
/// every `static_secret_render_interval`, leases renewed at `lease_renewal_threshold` of their life (60–70 % unset) and
/// fetched anew near their max TTL) and re-render, write and run `command` when the output
/// changes. One task sleeps until the next deadline; nothing polls per template.
actor TemplateRunner {
    struct Compiled: Sendable {
        let config: AgentConfig.Template
        let template: GoTemplate
        /// The file name in messages and template errors.
        let name: String
        var lastOutput: String?
        var used: [Dependency] = []
    }

    let fetcher: SecretFetcher
    let settings: AgentConfig.TemplateConfig
    let log: AgentLog
    var templates: [Compiled]
    var envTemplates: [(name: String, compiled: Compiled)]
    var store: [Dependency: Fetched] = [:]
    var token = ""
    /// Woken when the token changes or the agent stops.
    var wake: CheckedContinuation<Void, Never>?
    /// Told when the environment templates render differently (exec mode).
    var onEnvironmentChange: (@Sendable ([String: String]) async -> Void)?
    /// Retries of a failing dependency before giving up (consul-template's default is 12).
    let attempts: Int

    init(config: AgentConfig, fetcher: SecretFetcher, log: AgentLog) throws {
        self.fetcher = fetcher
        self.settings = config.templateConfig
        self.log = log
        self.attempts = max(config.vault.numRetries, 0) + 1
        templates = try config.templates.map { try Self.compile($0) }
        envTemplates = try config.envTemplates.map { ($0.name, try Self.compile($0.template, name: "env_template \($0.name)")) }
    }

    /// Parses a template and checks its functions, naming the template and the line.
    static func compile(_ config: AgentConfig.Template, name: String? = nil) throws -> Compiled {
        let source: String
        if let contents = config.contents {
            source = contents
        } else {
            do {
                source = try String(contentsOfFile: config.source, encoding: .utf8)
            } catch {
                throw AgentFailure("error reading template \(config.source): \(error.localizedDescription)")
            }
        }
        let label = name ?? (config.contents == nil ? config.source : config.destination)
        do {
            let template = try GoTemplate(source, name: label, leftDelimiter: config.leftDelimiter, rightDelimiter: config.rightDelimiter,
                                          maxLength: 4 * 1024 * 1024)
            try template.checkFunctions(TemplateFunctions.names)
            return Compiled(config: config, template: template, name: label)
        } catch let error as GoTemplate.Error {
            throw AgentFailure("error parsing template: \(error)")
        }
    }

    func setEnvironmentListener(_ listener: @escaping @Sendable ([String: String]) async -> Void) {
        onEnvironmentChange = listener
    }

    /// A new token: every secret is fetched anew with it (leases of the old token go with it).
    func tokenChanged(_ newToken: String) {
        let changed = !token.isEmpty && token != newToken
        token = newToken
        if changed {
            for key in store.keys where !isFile(key) {
                store[key]?.due = .now
                store[key]?.renewNext = false
            }
        }
        wake?.resume()
        wake = nil
    }

    func isFile(_ dependency: Dependency) -> Bool {
        if case .file = dependency { return true }
        return false
    }

    /// Renders one template to text, fetching what it needs (with retries).
    func render(_ compiled: Compiled) async throws -> (String, [Dependency]) {
        for _ in 0..<32 {
            let context = RenderContext(values: store.mapValues(\.value))
            let output: String
            do {
                output = try compiled.template.render(.null, functions: TemplateFunctions.all(context),
                                                      options: .init(missingKeyIsError: compiled.config.errorOnMissingKey))
            } catch let error as GoTemplate.Error {
                throw AgentFailure("\(error)")
            }
            let missing = context.missing
            if missing.isEmpty { return (output, context.used) }
            for dependency in missing { store[dependency] = try await fetchWithRetries(dependency) }
        }
        throw AgentFailure("template \(compiled.name): dependencies keep changing; giving up")
    }

    func fetchWithRetries(_ dependency: Dependency) async throws -> Fetched {
        try await Self.fetch(dependency, fetcher: fetcher, token: token, attempts: attempts, log: log)
    }

    nonisolated static func fetch(_ dependency: Dependency, fetcher: SecretFetcher, token: String, attempts: Int, log: AgentLog) async throws -> Fetched {
        var delay: Duration = .milliseconds(250)
        var tried = 0
        while true {
            tried += 1
            do {
                return try await fetcher.fetch(dependency, token: token)
            } catch {
                if tried >= attempts {
                    throw AgentFailure("\(error) (retry attempt \(tried - 1) after \"\(delay)\"; giving up)")
                }
                log.warn("template", "(runner) error fetching \(dependency): \(error); retrying in \(delay)")
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(60))
            }
        }
    }

    /// Fetches, side by side, everything any template asks for and does not have yet, until
    /// nothing is missing: the first render costs one round of requests per level of nesting,
    /// not one per secret.
    func prefetch() async throws {
        let all = templates + envTemplates.map(\.compiled)
        for _ in 0..<32 {
            var missing: [Dependency] = []
            for compiled in all {
                let context = RenderContext(values: store.mapValues(\.value))
                // Errors surface in the render proper; here only what is asked for matters.
                _ = try? compiled.template.render(.null, functions: TemplateFunctions.all(context),
                                                  options: .init(missingKeyIsError: false))
                for dependency in context.missing where !missing.contains(dependency) { missing.append(dependency) }
            }
            guard !missing.isEmpty else { return }
            let (fetcher, token, attempts, log) = (fetcher, token, attempts, log)
            let limit = max(settings.maxConnectionsPerHost, 1)
            try await withThrowingTaskGroup(of: (Dependency, Fetched).self) { group in
                var pending = missing[...]
                func startNext() {
                    guard let next = pending.popFirst() else { return }
                    group.addTask { (next, try await Self.fetch(next, fetcher: fetcher, token: token, attempts: attempts, log: log)) }
                }
                for _ in 0..<limit { startNext() }
                while let (dependency, fetched) = try await group.next() {
                    store[dependency] = fetched
                    startNext()
                }
            }
        }
    }

    /// Renders every template once and writes what changed; returns whether anything did.
    @discardableResult
    func renderAll(runCommands: Bool = true) async throws -> Bool {
        try await prefetch()
        var anyChange = false
        for index in templates.indices {
            let (output, used) = try await render(templates[index])
            templates[index].used = used
            if try write(output, for: templates[index]) {
                anyChange = true
                log.info("template", "(runner) rendered \"\(templates[index].name)\" => \"\(templates[index].config.destination)\"")
                if runCommands { await runCommand(templates[index].config) }
            }
            templates[index].lastOutput = output
        }
        var environment: [String: String] = [:]
        var envChanged = false
        for index in envTemplates.indices {
            let (output, used) = try await render(envTemplates[index].compiled)
            envTemplates[index].compiled.used = used
            if envTemplates[index].compiled.lastOutput != output { envChanged = true }
            envTemplates[index].compiled.lastOutput = output
            environment[envTemplates[index].name] = output
        }
        if envChanged, let onEnvironmentChange { await onEnvironmentChange(environment) }
        return anyChange || envChanged
    }

    /// The rendered environment of `env_template`s.
    func environment() -> [String: String] {
        Dictionary(uniqueKeysWithValues: envTemplates.map { ($0.name, $0.compiled.lastOutput ?? "") })
    }

    /// Writes the output when it differs from what the file holds; true when it wrote.
    func write(_ output: String, for compiled: Compiled) throws -> Bool {
        let destination = compiled.config.destination
        let bytes = Array(output.utf8)
        if let existing = FileManager.default.contents(atPath: destination), Array(existing) == bytes { return false }
        var mode = compiled.config.perms ?? 0o644
        if compiled.config.perms == nil, let attributes = try? FileManager.default.attributesOfItem(atPath: destination),
           let existingMode = attributes[.posixPermissions] as? Int {
            mode = UInt16(existingMode & 0o7777)
        }
        if compiled.config.backup, FileManager.default.fileExists(atPath: destination) {
            _ = try? FileManager.default.removeItem(atPath: destination + ".bak")
            try? FileManager.default.copyItem(atPath: destination, toPath: destination + ".bak")
        }
        do {
            try AtomicFile.write(bytes, to: destination, mode: mode, createDirectories: compiled.config.createDestDirs)
        } catch {
            throw AgentFailure("error writing \(destination): \(error)")
        }
        return true
    }

    func runCommand(_ config: AgentConfig.Template) async {
        guard !config.command.isEmpty else { return }
        let status = await ChildCommand.run(config.command, timeout: config.commandTimeout)
        if status != 0 {
            log.error("template", "(runner) command \(config.command) for \(config.destination) exited with \(status)")
        }
    }

    /// Keeps everything fresh until cancelled. With `exit_on_retry_failure`, a dependency that
    /// cannot be fetched within its retries ends the agent (the error is thrown).
    func run() async throws {
        while !Task.isCancelled {
            let now = ContinuousClock.now
            let next = store.values.map(\.due).min() ?? now + settings.staticSecretRenderInterval
            if next > now {
                await sleep(until: next)
                continue
            }
            var changed: Set<Dependency> = []
            for (dependency, fetched) in store where fetched.due <= .now {
                do {
                    let fresh = try await refresh(dependency, fetched)
                    if fresh.value != fetched.value { changed.insert(dependency) }
                    store[dependency] = fresh
                } catch {
                    log.error("template", "(runner) \(error)")
                    if settings.exitOnRetryFailure { throw AgentFailure("template server: \(error)") }
                    store[dependency]?.due = .now + .seconds(5)
                    store[dependency]?.renewNext = false
                }
            }
            guard !changed.isEmpty else { continue }
            let touchesEnv = envTemplates.contains { !Set($0.compiled.used).isDisjoint(with: changed) }
            let touched = templates.indices.filter { !Set(templates[$0].used).isDisjoint(with: changed) }
            if !touched.isEmpty || touchesEnv {
                if let wait = templates.map(\.config.waitMin).max(), wait > .zero { try? await Task.sleep(for: wait) }
                do {
                    try await renderAll()
                } catch {
                    log.error("template", "(runner) \(error)")
                    if settings.exitOnRetryFailure { throw error }
                }
            }
        }
    }

    /// Renews a lease when it can, otherwise fetches anew (retrying as on first render).
    func refresh(_ dependency: Dependency, _ fetched: Fetched) async throws -> Fetched {
        if fetched.renewNext, let renewed = try? await fetcher.renew(fetched, token: token) { return renewed }
        if case .file(let path) = dependency {
            var next = fetched
            next.due = .now + .seconds(2)
            if let data = FileManager.default.contents(atPath: path) { next.value = .string(String(decoding: data, as: UTF8.self)) }
            return next
        }
        return try await fetchWithRetries(dependency)
    }

    func sleep(until deadline: ContinuousClock.Instant) async {
        let timer = Task { [weak self] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            await self?.wakeUp()
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                wake = continuation
            }
        } onCancel: {
            Task { await self.wakeUp() }
        }
        timer.cancel()
    }

    func wakeUp() {
        wake?.resume()
        wake = nil
    }
}

import Foundation
import TresorJSON

/// A token as a login gave it.
public struct AuthToken: Sendable, Equatable {
    public var token: String
    public var accessor: String
    public var ttl: Int64
    public var renewable: Bool
}

/// Auto-auth: logs in with the configured method, writes the token to the sinks, keeps it alive
/// by renewing it before it expires (at about two thirds of its TTL, as Vault's lifetime watcher
/// does) and logs in again, with backoff, when it cannot be renewed any more.
public actor AutoAuth {
    let method: AgentConfig.Method
    let sinks: [AgentConfig.Sink]
    let client: AgentClient
    let log: AgentLog
    /// The secret-id, kept after its file was removed, for logging in again.
    var cachedSecretID: String?
    public private(set) var current: AuthToken?
    var listeners: [@Sendable (AuthToken) async -> Void] = []

    public init(method: AgentConfig.Method, sinks: [AgentConfig.Sink], client: AgentClient, log: AgentLog) {
        self.method = method
        self.sinks = sinks
        self.client = client
        self.log = log
    }

    /// Called with every new token (after a login, not after a renewal).
    public func onNewToken(_ listener: @escaping @Sendable (AuthToken) async -> Void) {
        listeners.append(listener)
    }

    /// Logs in until it succeeds, waiting with exponential backoff between failures; with
    /// `exitOnError` (or `attempts`) the first failures end it.
    public func authenticate(attempts: Int? = nil) async throws -> AuthToken {
        var backoff = method.minBackoff
        var tried = 0
        while true {
            tried += 1
            do {
                let token = try await login()
                current = token
                log.info("auth.handler", "authentication successful, sending token to sinks")
                for sink in sinks {
                    if let ttl = sink.wrapTTL {
                        try TokenSink.write(try await wrapped(token.token, ttl: ttl), to: sink)
                    } else {
                        try TokenSink.write(token.token, to: sink)
                    }
                }
                if !sinks.isEmpty { log.info("sink.file", "token written: path=\(sinks.map(\.path).joined(separator: ","))") }
                for listener in listeners { await listener(token) }
                return token
            } catch let error as CancellationError {
                throw error
            } catch {
                log.error("auth.handler", "error authenticating: error=\"\(error)\" backoff=\(backoff)")
                if method.exitOnError { throw AgentFailure("error authenticating: \(error)") }
                if let attempts, tried >= attempts { throw AgentFailure("error authenticating: \(error)") }
                let jitter = Double.random(in: 0.75...1.0)
                try await Task.sleep(for: .milliseconds(Int64(Double(backoff.components.seconds * 1000 + backoff.components.attoseconds / 1_000_000_000_000_000) * jitter)))
                backoff = min(backoff * 2, method.maxBackoff)
            }
        }
    }

    /// Keeps the current token alive for as long as the agent runs.
    public func keepAlive() async {
        while !Task.isCancelled {
            guard let token = current else {
                _ = try? await authenticate()
                continue
            }
            guard token.ttl > 0 else {
                // A token without expiry (root, or a periodic one without TTL) needs no care.
                try? await Task.sleep(for: .seconds(3600))
                continue
            }
            let fullTTL = token.ttl
            var ttl = fullTTL
            while !Task.isCancelled {
                // Renew at about two thirds of what is left, with jitter, as Vault's watcher does.
                let wait = max(Double(ttl) * Double.random(in: 0.6...0.7), 0.5)
                try? await Task.sleep(for: .milliseconds(Int64(wait * 1000)))
                if Task.isCancelled { return }
                // Near its max TTL a renewal cannot extend it: log in afresh instead.
                guard token.renewable, ttl * 2 >= fullTTL || ttl >= 60 else { break }
                guard let renewed = try? await renew(token.token) else {
                    log.warn("auth.handler", "token renewal failed; authenticating again")
                    break
                }
                ttl = renewed
                log.debug("auth.handler", "renewed auth token: ttl=\(ttl)s")
                if ttl <= 1 { break }
            }
            if Task.isCancelled { return }
            current = nil
        }
    }

    func renew(_ token: String) async throws -> Int64 {
        let response = try await client.request("POST", "auth/token/renew-self", token: token, body: .object([:]))
        guard response.isSuccess, let auth = response.json?.objectValue?["auth"]?.objectValue else {
            throw AgentFailure(response.errors.first ?? "renewal failed with \(response.status)")
        }
        return Self.int(auth["lease_duration"])
    }

    static func int(_ value: JSONValue?) -> Int64 {
        switch value {
        case .int(let i)?: return i
        case .double(let d)?: return Int64(d)
        case .string(let s)?: return Int64(s) ?? 0
        default: return 0
        }
    }

    func readFile(_ path: String, what: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw AgentFailure("error reading \(what) file \(path): \(error.localizedDescription)")
        }
    }

    func login() async throws -> AuthToken {
        let mount = method.mountPath.hasSuffix("/") ? String(method.mountPath.dropLast()) : method.mountPath
        var body: [String: JSONValue] = [:]
        switch method.type {
        case "token_file":
            let token = try readFile(method.config["token_file_path"] ?? "", what: "token")
            guard !token.isEmpty else { throw AgentFailure("token file \(method.config["token_file_path"] ?? "") is empty") }
            let lookup = try await client.request("GET", "auth/token/lookup-self", token: token)
            guard lookup.isSuccess, let data = lookup.data else {
                throw AgentFailure("error looking up the token from the token file: \(lookup.errors.joined(separator: ", "))")
            }
            return AuthToken(token: token, accessor: data["accessor"]?.stringValue ?? "", ttl: Self.int(data["ttl"]),
                             renewable: data["renewable"]?.boolValue ?? false)
        case "approle":
            let roleID = try readFile(method.config["role_id_file_path"] ?? "", what: "role ID")
            guard !roleID.isEmpty else { throw AgentFailure("role ID file is empty") }
            body["role_id"] = .string(roleID)
            if let path = method.config["secret_id_file_path"], !path.isEmpty {
                if FileManager.default.fileExists(atPath: path) {
                    let secretID = try readFile(path, what: "secret ID")
                    if !secretID.isEmpty { cachedSecretID = secretID }
                    if (method.config["remove_secret_id_file_after_reading"] ?? "true").lowercased() != "false" {
                        try? FileManager.default.removeItem(atPath: path)
                    }
                }
                guard let secretID = cachedSecretID else { throw AgentFailure("no known secret ID") }
                body["secret_id"] = .string(secretID)
            }
        case "kubernetes":
            let path = method.config["token_path"] ?? "/var/run/secrets/kubernetes.io/serviceaccount/token"
            body["role"] = .string(method.config["role"] ?? "")
            body["jwt"] = .string(try readFile(path, what: "service account token"))
        default:
            throw AgentFailure("unsupported auth method \(method.type)")
        }
        let response = try await client.request("POST", mount + "/login", token: nil, body: .object(body))
        guard response.isSuccess else {
            throw AgentFailure("error logging in: \(response.failure("PUT", client.client.url(mount + "/login")))")
        }
        guard let auth = response.json?.objectValue?["auth"]?.objectValue, let token = auth["client_token"]?.stringValue else {
            throw AgentFailure("login response from \(mount) had no auth data")
        }
        return AuthToken(token: token, accessor: auth["accessor"]?.stringValue ?? "", ttl: Self.int(auth["lease_duration"]),
                         renewable: auth["renewable"]?.boolValue ?? false)
    }
}

extension AutoAuth {
    /// The token response-wrapped for a sink with `wrap_ttl`: the server's `wrap_info` as JSON,
    /// with Vault Agent's field order (the Go struct's).
    func wrapped(_ token: String, ttl: Duration) async throws -> String {
        let response = try await client.request("POST", "sys/wrapping/wrap", token: token, body: ["token": .string(token)],
                                                headers: ["X-Vault-Wrap-TTL": String(ttl.components.seconds)])
        guard response.isSuccess, let info = response.json?.objectValue?["wrap_info"]?.objectValue else {
            throw AgentFailure("error wrapping the token for the sink: \(response.errors.joined(separator: "; "))")
        }
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (index, key) in ["token", "accessor", "ttl", "creation_time", "creation_path", "wrapped_accessor"].enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            JSONWriter.write(info[key] ?? (key == "ttl" ? .int(0) : .string("")), into: &out)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}

/// `sink "file"`: the token, alone, in a file written atomically with the configured mode.
enum TokenSink {
    static func write(_ token: String, to sink: AgentConfig.Sink) throws {
        do {
            try AtomicFile.write(Array(token.utf8), to: sink.path, mode: sink.mode, createDirectories: false, exactMode: false)
        } catch {
            throw AgentFailure("error writing the token to sink \(sink.path): \(error)")
        }
    }
}

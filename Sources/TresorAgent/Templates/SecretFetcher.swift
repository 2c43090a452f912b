import Foundation
import Synchronization
import GoTemplate
import TresorAPI
import TresorJSON

/// Reads what a dependency names from the server (or the disk), and renews leases.
struct SecretFetcher: Sendable {
    let client: AgentClient
    let settings: AgentConfig.TemplateConfig
    /// What `kvVersion2Path` found, per path asked for, until the next static refresh.
    let mounts = MountCache()

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func fetch(_ dependency: Dependency, token: String) async throws -> Fetched {
        let now = ContinuousClock.now
        switch dependency {
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else { throw Failure(description: "file(\(path)): cannot read the file") }
            return Fetched(value: .string(String(decoding: data, as: UTF8.self)), due: now + .seconds(2))
        case .list(let path):
            let response = try await client.request("LIST", path, token: token)
            if response.status == 404 { return Fetched(value: .array([]), due: now + settings.staticSecretRenderInterval) }
            guard response.isSuccess else { throw failure(dependency, response) }
            let keys = response.data?["keys"]?.arrayValue?.compactMap(\.stringValue).sorted() ?? []
            return Fetched(value: .array(keys.map { .string($0) }), due: now + settings.staticSecretRenderInterval)
        case .secret(let requested, let data), .pkiCert(let requested, let data):
            // A read of a KV v2 secret may leave out "data/", as consul-template allows.
            let path = data.isEmpty ? await kvVersion2Path(requested, token: token) : requested
            let body: JSONValue? = data.isEmpty ? nil : .object(data.mapValues { .string($0) })
            let response = try await client.request(data.isEmpty ? "GET" : "PUT", path, token: token, body: body)
            guard response.isSuccess else {
                if response.status == 404 { throw Failure(description: "\(dependency): no secret exists at \(path)") }
                throw failure(dependency, response)
            }
            let object = response.json?.objectValue ?? [:]
            if case .pkiCert = dependency { return pkiCertificate(object, now: now) }
            var fetched = Fetched(value: .secret(object), due: now + settings.staticSecretRenderInterval)
            fetched.leaseID = object["lease_id"]?.stringValue ?? ""
            fetched.leaseDuration = AutoAuth.int(object["lease_duration"])
            fetched.renewable = object["renewable"]?.boolValue ?? false
            if fetched.leaseDuration > 0 {
                // Leased: renew (or fetch anew) at the threshold of the lease, with jitter.
                fetched.due = now + renewAt(fetched.leaseDuration)
                fetched.renewNext = fetched.renewable && !fetched.leaseID.isEmpty
            }
            return fetched
        }
    }

    /// `secret "secret/app"` on a KV v2 mount reads `secret/data/app`; paths that already name
    /// `data/` or `metadata/` are left alone, as is everything on other mounts or when the mount
    /// cannot be looked up.
    func kvVersion2Path(_ path: String, token: String) async -> String {
        if let known = mounts.lookup(path, within: settings.staticSecretRenderInterval) { return known }
        let resolved = await resolveKVVersion2Path(path, token: token)
        mounts.store(path, resolved)
        return resolved
    }

    func resolveKVVersion2Path(_ path: String, token: String) async -> String {
        guard let response = try? await client.request("GET", "sys/internal/ui/mounts/" + path, token: token), response.isSuccess,
              let data = response.data, data["type"]?.stringValue == "kv",
              data["options"]?.objectValue?["version"]?.stringValue == "2",
              let mount = data["path"]?.stringValue, !mount.isEmpty else { return path }
        if path == mount || path + "/" == mount { return mount + "data" }
        guard path.hasPrefix(mount) else { return path }
        let rest = path.dropFirst(mount.count)
        if rest.hasPrefix("data/") || rest.hasPrefix("metadata/") { return path }
        return mount + "data/" + rest
    }

    /// When to act on a lease of `seconds`: at `lease_renewal_threshold` of it (less up to 5 %
    /// of jitter), or at 60–70 % when none is set.
    func renewAt(_ seconds: Int64) -> Duration {
        let fraction = settings.leaseRenewalThreshold.map { $0 * Double.random(in: 0.95...1.0) } ?? Double.random(in: 0.6...0.7)
        return .milliseconds(Int64(Double(seconds) * 1000 * fraction))
    }

    /// Renews a lease; a renewal the server caps well below what was asked for means the lease
    /// nears its max TTL, and the next turn fetches the secret anew.
    func renew(_ fetched: Fetched, token: String) async throws -> Fetched {
        let response = try await client.request("PUT", "sys/leases/renew", token: token,
                                                body: .object(["lease_id": .string(fetched.leaseID), "increment": .int(fetched.leaseDuration)]))
        guard response.isSuccess else { throw Failure(description: "renewing lease \(fetched.leaseID): \(response.errors.joined(separator: ", "))") }
        var renewed = fetched
        let duration = AutoAuth.int(response.json?.objectValue?["lease_duration"])
        renewed.due = .now + renewAt(max(duration, 1))
        renewed.renewNext = duration * 3 >= fetched.leaseDuration * 2
        renewed.leaseDuration = max(duration, 1)
        return renewed
    }

    /// `pkiCert`: the PEM pieces, issued again at the threshold of the certificate's life.
    func pkiCertificate(_ object: [String: JSONValue], now: ContinuousClock.Instant) -> Fetched {
        let data = object["data"]?.objectValue ?? [:]
        let chain = data["ca_chain"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let value: TemplateValue = .map([
            "Cert": .string(data["certificate"]?.stringValue ?? ""),
            "Key": .string(data["private_key"]?.stringValue ?? ""),
            "CA": .string(data["issuing_ca"]?.stringValue ?? ""),
            "CAChain": .array(chain.map { .string($0) }),
        ])
        var lifetime: Int64 = 300
        if case .int(let expiration)? = data["expiration"] { lifetime = max(expiration - Int64(Date().timeIntervalSince1970), 1) }
        return Fetched(value: value, due: now + renewAt(lifetime))
    }

    func failure(_ dependency: Dependency, _ response: VaultClient.Response) -> Failure {
        let errors = response.errors.isEmpty ? "" : ":\n* " + response.errors.joined(separator: "\n* ")
        return Failure(description: "\(dependency): Error making API request.\n\nCode: \(response.status). Errors\(errors)")
    }
}

/// Remembered mount lookups; a Mutex so renders running side by side share it.
final class MountCache: Sendable {
    private let entries = Mutex<[String: (path: String, at: ContinuousClock.Instant)]>([:])

    func lookup(_ path: String, within: Duration) -> String? {
        entries.withLock { entries in
            guard let entry = entries[path], entry.at.duration(to: .now) < within else { return nil }
            return entry.path
        }
    }

    func store(_ path: String, _ resolved: String) {
        entries.withLock { entries in
            if entries.count > 10_000 { entries.removeAll() }
            entries[path] = (resolved, .now)
        }
    }
}

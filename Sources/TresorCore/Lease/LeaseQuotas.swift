import Foundation
import Synchronization

/// A lease-count quota (Vault Enterprise's `sys/quotas/lease-count/:name`): at most
/// `maxLeases` live leases (secrets' and service tokens') under `path`; a blank path is global.
struct LeaseCountQuota: JSONDocument, Equatable {
    var name: String
    /// "" (global), a mount ("database/", "auth/approle/"), or a path below one
    /// ("database/creds/app"); a trailing "*" matches names that start with what precedes it.
    var path: String
    /// Only logins through the auth mount at `path` made with this role count.
    var role: String
    var maxLeases: Int64
    var inheritable: Bool

    init(name: String, path: String, role: String, maxLeases: Int64, inheritable: Bool) {
        self.name = name
        self.path = path
        self.role = role
        self.maxLeases = maxLeases
        self.inheritable = inheritable
    }

    init(storedJSON: JSONValue) throws {
        let stored = try StoredObject(storedJSON, of: Self.self)
        name = try stored.string("name")
        path = try stored.string("path")
        role = try stored.string("role")
        maxLeases = try stored.int64("maxLeases")
        inheritable = try stored.bool("inheritable")
    }

    var storedJSON: JSONValue {
        .object(["name": .string(name), "path": .string(path), "role": .string(role), "maxLeases": .int(maxLeases), "inheritable": .bool(inheritable)])
    }

    /// What a lease id must start with to count here.
    var leasePrefix: String {
        if path.isEmpty { return "" }
        if path.hasSuffix("*") { return String(path.dropLast()) }
        return path.hasSuffix("/") ? path : path + "/"
    }

    func covers(leaseID: String, role leaseRole: String?) -> Bool {
        guard leaseID.hasPrefix(leasePrefix) else { return false }
        return role.isEmpty || role == leaseRole
    }

    var json: [String: JSONValue] {
        ["name": .string(name), "path": .string(path), "role": .string(role), "max_leases": .int(maxLeases),
         "inheritable": .bool(inheritable), "type": "lease-count"]
    }
}

/// The quotas in force and how many leases each covers now. Counts are read from the store
/// (a range count, not the leases) the first time a quota is needed after unseal, then kept
/// by every lease made and revoked. A lease is judged by the most specific quota that covers
/// it, as Vault does; it counts in every quota that covers it.
final class LeaseQuotas: Sendable {
    private struct State {
        var quotas: [String: LeaseCountQuota] = [:]
        /// Live leases per quota name; absent until counted.
        var counts: [String: Int64] = [:]
    }

    private let state = Mutex(State())

    static let exceeded = TresorError(.tooManyRequests, status: 429, messages: ["lease count quota exceeded"])

    func replaceAll(_ quotas: [LeaseCountQuota]) {
        state.withLock { $0 = State(quotas: Dictionary(quotas.map { ($0.name, $0) }, uniquingKeysWith: { $1 })) }
    }

    func set(_ quota: LeaseCountQuota) {
        state.withLock { s in
            if s.quotas[quota.name] != quota { s.counts[quota.name] = nil }
            s.quotas[quota.name] = quota
        }
    }

    func remove(_ name: String) {
        state.withLock { s in
            s.quotas[name] = nil
            s.counts[name] = nil
        }
    }

    var isEmpty: Bool { state.withLock { $0.quotas.isEmpty } }

    func count(of name: String) -> Int64? { state.withLock { $0.counts[name] } }

    /// Takes a place for a new lease, or refuses with 429 when the governing quota is full.
    /// `blockOnly`: batch tokens are refused by a full quota but take no place. Returns what
    /// to call should the lease not be made after all.
    func reserve(leaseID: String, role: String?, blockOnly: Bool = false,
                 counter: (String) async throws -> Int64) async throws -> (@Sendable () -> Void)? {
        let covering = state.withLock { s in s.quotas.values.filter { $0.covers(leaseID: leaseID, role: role) } }
        guard !covering.isEmpty else { return nil }
        for quota in covering where count(of: quota.name) == nil {
            let counted = try await counter(quota.leasePrefix)
            state.withLock { s in
                if s.quotas[quota.name] == quota, s.counts[quota.name] == nil { s.counts[quota.name] = counted }
            }
        }
        let names = try state.withLock { s -> [String] in
            let live = covering.filter { s.quotas[$0.name] == $0 }
            // The most specific: the longest path; a role narrows it further.
            if let governing = live.max(by: { ($0.leasePrefix.utf8.count, $0.role.isEmpty ? 0 : 1) < ($1.leasePrefix.utf8.count, $1.role.isEmpty ? 0 : 1) }),
               (s.counts[governing.name] ?? 0) >= governing.maxLeases {
                throw Self.exceeded
            }
            if blockOnly { return [] }
            let names = live.map(\.name)
            for name in names { s.counts[name]? += 1 }
            return names
        }
        guard !names.isEmpty else { return nil }
        return { [self] in self.state.withLock { s in for name in names { s.counts[name]? -= 1 } } }
    }

    /// A lease is gone.
    func released(leaseID: String, role: String?) {
        state.withLock { s in
            for quota in s.quotas.values where quota.covers(leaseID: leaseID, role: role) {
                if let n = s.counts[quota.name] { s.counts[quota.name] = max(0, n - 1) }
            }
        }
    }
}

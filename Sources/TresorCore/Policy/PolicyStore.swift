import Foundation
import Synchronization

/// ACL policies: kept under `sys/policy/` through the barrier, parsed once and compiled into
/// ACLs cached by policy set. Writes go through the request's transaction; caches are dropped
/// only after that transaction commits.
@_spi(Server) public final class PolicyStore: Sendable {
    static let prefix = "sys/policy/"
    public static let rootPolicy = Policy(name: "root", rules: [], text: "")
    /// What a response-wrapping token may do: unwrap what it keeps. Built in, never stored.
    static let responseWrappingText = """
        path "cubbyhole/response" {
            capabilities = ["create", "read"]
        }

        path "sys/wrapping/unwrap" {
            capabilities = ["update"]
        }
        """
    static let responseWrappingPolicy = try! PolicyParser.parse(name: "response-wrapping", text: responseWrappingText)

    private let parsed = Mutex<[String: Policy]>([:])
    private let compiled = Mutex<[[String]: ACL]>([:])
    /// Bumped by every invalidation; a load that straddles one is not cached, so a policy
    /// read before a change can never be cached after it.
    private let generation = Atomic<UInt64>(0)
    private let barrier: Barrier

    public init(barrier: Barrier) {
        self.barrier = barrier
    }

    /// Writes the built-in `default` policy on first start.
    func setupDefaults() async throws {
        if try await barrier.get(Self.prefix + "default") == nil {
            let stored = StoredPolicy(name: "default", text: DefaultPolicy.text, version: 1, modified: Date())
            try await barrier.put(Self.prefix + "default", try JSONValue.encodeStored(stored))
        }
    }

    public func get(_ rawName: String, storage: Storage) async throws -> Policy? {
        let name = PolicyParser.normalize(rawName)
        if name == "root" { return Self.rootPolicy }
        if name == "response-wrapping" { return Self.responseWrappingPolicy }
        if let cached = parsed.withLock({ $0[name] }) { return cached }
        let started = generation.load(ordering: .acquiring)
        guard let stored = try await storage.getJSON(Self.prefix + name, as: StoredPolicy.self) else { return nil }
        var policy = try PolicyParser.parse(name: name, text: stored.text)
        policy.version = stored.version
        policy.modified = stored.modified
        parsed.withLock { cache in
            if generation.load(ordering: .acquiring) == started { cache[name] = policy }
        }
        return policy
    }

    public func put(_ rawName: String, text: String, storage: Storage) async throws -> Policy {
        let name = PolicyParser.normalize(rawName)
        guard !name.isEmpty else { throw TresorError.badRequest("policy name must be provided") }
        guard name != "root" else { throw TresorError.badRequest("cannot update \"root\" policy") }
        guard name != "response-wrapping" else { throw TresorError.badRequest("cannot update \"response-wrapping\" policy") }
        var policy = try PolicyParser.parse(name: name, text: text)
        await storage.lock(Self.prefix + name)
        let previous = try await storage.getJSON(Self.prefix + name, as: StoredPolicy.self)
        policy.version = (previous?.version ?? 0) + 1
        policy.modified = Date()
        try await storage.putJSON(Self.prefix + name, StoredPolicy(name: name, text: text, version: policy.version, modified: policy.modified!))
        return policy
    }

    public func delete(_ rawName: String, storage: Storage) async throws {
        let name = PolicyParser.normalize(rawName)
        switch name {
        case "root": throw TresorError.badRequest("cannot delete \"root\" policy")
        case "default": throw TresorError.badRequest("cannot delete \"default\" policy")
        case "response-wrapping": throw TresorError.badRequest("cannot delete \"response-wrapping\" policy")
        default: try await storage.delete(Self.prefix + name)
        }
    }

    public func list(storage: Storage) async throws -> [String] {
        try await storage.list(Self.prefix).filter { !$0.hasSuffix("/") }
    }

    /// Forget cached copies after a write commits.
    /// Drops every cached policy, as when the server seals.
    public func invalidateAll() {
        generation.add(1, ordering: .releasing)
        parsed.withLock { $0 = [:] }
        compiled.withLock { $0 = [:] }
    }

    public func invalidate(_ rawName: String) {
        let name = PolicyParser.normalize(rawName)
        generation.add(1, ordering: .releasing)
        parsed.withLock { _ = $0.removeValue(forKey: name) }
        compiled.withLock { cache in cache = cache.filter { !$0.key.contains(name) } }
    }

    /// The ACL for a token with an entity: templated rules filled for it, compiled per request
    /// (only sets holding a templated policy; the rest come from the cache).
    func acl(for names: [String], storage: Storage, identity: @Sendable () async throws -> IdentityTemplateContext?) async throws -> ACL {
        var policies: [Policy] = []
        for name in names {
            if let policy = try await get(name, storage: storage) { policies.append(policy) }
        }
        guard policies.contains(where: \.isTemplated) else { return try await acl(for: names, storage: storage) }
        let context = try await identity()
        return ACL(policies: policies.map { $0.filled(context) })
    }

    /// The ACL for a token's policy set. Unknown policy names grant nothing, as in Vault.
    public func acl(for names: [String], storage: Storage) async throws -> ACL {
        if let cached = compiled.withLock({ $0[names] }) { return cached }
        let started = generation.load(ordering: .acquiring)
        var policies: [Policy] = []
        for name in names {
            if let policy = try await get(name, storage: storage) { policies.append(policy) }
        }
        let acl = ACL(policies: policies)
        compiled.withLock { cache in
            guard generation.load(ordering: .acquiring) == started else { return }
            if cache.count > 4096 { cache.removeAll() }
            cache[names] = acl
        }
        return acl
    }
}

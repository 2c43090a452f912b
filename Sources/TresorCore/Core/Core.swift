import Crypto
import Foundation
import Logging
import Synchronization

/// The server's heart: seal state, storage, mounts, policies and tokens, and the pipeline every
/// request goes through (see Core+Handle).
@_spi(Server) public final class Core: Sendable {
    static let sealConfigPath = "core/seal-config"
    static let rootKeyPath = "core/root-key"
    static let mountsPath = "core/mounts"
    static let authPath = "core/auth"

    public let physical: PhysicalBackend
    public let barrier: Barrier
    public let locks = KeyLockTable()
    /// This run of the server; rollback records of other runs belong to requests that are gone.
    let bootID = RandomUUID.string()
    /// The time lease deadlines are set and judged by; tests move it by hand.
    let clock: @Sendable () -> Date
    public let policies: PolicyStore
    public let tokens: TokenStore
    public let registry: BackendRegistry
    public let logger: Logger
    public let storageType: String
    public let clusterName: String
    public let clusterID: String
    /// An external key service that protects the root key (static key, transit); nil for Shamir.
    public let autoSeal: AutoSeal?
    public let audit = AuditBroker()
    /// The coming deadlines of leases and tokens, read from the expiry index in storage.
    public let expiry = ExpiryWindow()
    /// The revoke-prefix jobs of this run and how far they have got.
    let revocationProgress = RevocationProgress()
    /// Lease-count quotas and the counts they keep.
    let leaseQuotas = LeaseQuotas()
    /// When `sys/metrics` last counted leases, tokens and secrets.
    let gaugeCounts = GaugeSchedule()
    public let auditSettings: AuditSettings

    let routeTable = Mutex(RouteTable([]))
    let unsealProgress = Mutex<[[UInt8]]>([])
    /// The root-token generation in progress, if any (kept in memory, as Vault does).
    let rootGeneration = Mutex<RootGeneration?>(nil)
    /// Entities' policies and template values for requests of login tokens.
    let identityCache = IdentityCache()
    /// Identity-token signing keys, parsed once.
    let oidcSigners = OIDCSignerCache()
    /// The rekey in progress, if any (in memory, as Vault keeps it).
    let rekeyState = Mutex<Rekey?>(nil)
    /// Set while `initialize` runs, so two initialisations cannot race.
    let initializing = Mutex(false)
    /// Set by `sys/seal`: an auto seal must not undo an operator's decision.
    let operatorSealed = Mutex(false)
    let knownSealConfig = Mutex<SealConfig?>(nil)

    /// The cluster lock when the storage is shared (see HighAvailability.swift); nil on one node.
    let haLock: HALock?
    /// This node's API address, which standbys forward to and `sys/leader` reports.
    public let apiAddress: String
    /// Where standbys reach this node's cluster listener (mTLS) when it is the active one.
    public let clusterAddress: String
    /// What starts and stops the cluster listener as this node becomes active or steps down.
    let clusterRoleSlot = Mutex<(any ClusterRole)?>(nil)
    /// This run of this node, as the lock knows it.
    public let haIdentity = RandomUUID.string()
    let haState: Mutex<HAState>
    /// After `sys/step-down` the node leaves the lock to others for a while.
    let holdOffUntil = Mutex<Date?>(nil)
    /// Set while one turn of the HA loop runs.
    let haStepping = Mutex(false)
    /// Take-overs and step-downs, one at a time (see `haStep`).
    let haTransitions = SerialGate()
    private let sanitizedConfigState = Mutex<JSONValue>(.object([:]))
    /// What `sys/in-flight-req` reports; the HTTP layer records each request here.
    public let inFlight = InFlightRequests()

    public init(physical: PhysicalBackend, registry: BackendRegistry, storageType: String = "inmem",
                autoSeal: AutoSeal? = nil, clusterName: String? = nil, ttl: TTLDefaults = .vault,
                auditSettings: AuditSettings = AuditSettings(), cacheSize: Int = Barrier.defaultCacheSize,
                logger: Logger = Logger(label: "tresor"), clock: @escaping @Sendable () -> Date = { Date() },
                haLock: HALock? = nil, apiAddress: String = "", clusterAddress: String = "") {
        self.clock = clock
        self.haLock = haLock
        self.apiAddress = apiAddress
        self.clusterAddress = clusterAddress
        self.haState = Mutex(haLock == nil ? .disabled : .standby)
        self.auditSettings = auditSettings
        self.physical = physical
        self.autoSeal = autoSeal
        self.barrier = Barrier(physical: physical, cacheSize: cacheSize)
        self.policies = PolicyStore(barrier: barrier)
        self.tokens = TokenStore(barrier: barrier, ttl: ttl, expiry: expiry)
        var registry = registry
        registry.register(BackendFactory(coreBackend: "system", kind: .secret, defaultDescription: "system endpoints used for control, policy and debugging") { _, core in
            SystemBackend(core: core)
        })
        registry.register(BackendFactory(coreBackend: "identity", kind: .secret, defaultDescription: "identity store") { _, core in
            IdentityBackend(core: core)
        })
        registry.register(BackendFactory(coreBackend: "token", kind: .auth, defaultDescription: "token based credentials") { _, core in
            TokenBackend(core: core)
        })
        self.registry = registry
        self.storageType = storageType
        self.logger = logger
        self.clusterName = clusterName ?? ("tresor-cluster-" + TokenCrypto.randomString(8).lowercased())
        self.clusterID = RandomUUID.string()
        tokens.addRevocationHook { [weak self] entry, storage in
            try await self?.revokeLeases(ownedBy: entry, storage: storage)
            try await self?.tellBackendsTokenRevoked(entry, storage: storage)
            try await self?.forgetWrapped(entry, storage: storage)
            storage.afterCommit { [weak self] in self?.leaseQuotas.released(leaseID: TokenStore.leaseID(entry), role: Self.loginRole(entry)) }
        }
        tokens.setAdmission { [weak self] entry, storage in try await self?.admitToken(entry, storage: storage) }
        Telemetry.preregister()
    }

    public var routes: RouteTable { routeTable.withLock { $0 } }

    /// The configuration as `sys/config/state/sanitized` shows it, set once by the command
    /// that read it (the core never sees the configuration file itself).
    public var sanitizedConfig: JSONValue {
        get { sanitizedConfigState.withLock { $0 } }
        set { sanitizedConfigState.withLock { $0 = newValue } }
    }

    public var direct: DirectStorage { DirectStorage(barrier: barrier, locks: locks) }

    // MARK: seal

    public func sealConfig() async throws -> SealConfig? {
        // Every health check asks; it changes only with a rekey, which updates this copy (and a
        // seal drops it, so a node unsealed again reads what another node's rekey wrote).
        if let known = knownSealConfig.withLock({ $0 }) { return known }
        guard let bytes = try await physical.get(Self.sealConfigPath) else { return nil }
        let config = try JSONValue.decodeStored(SealConfig.self, from: bytes)
        knownSealConfig.withLock { $0 = config }
        return config
    }

    public var isSealed: Bool { barrier.isSealed }

    /// Runs `body` in a transaction of its own, committing on success and discarding on failure.
    func withTransaction<T: Sendable>(_ body: (RequestTransaction) async throws -> T) async throws -> T {
        let tx = newTransaction()
        do {
            let result = try await body(tx)
            try await tx.commit()
            return result
        } catch {
            tx.discard()
            await rollBack(tx.pendingRollbacks)
            throw error
        }
    }

    /// A transaction of this run of the server.
    func newTransaction() -> RequestTransaction {
        RequestTransaction(barrier: barrier, locks: locks, boot: bootID)
    }

    public var unsealProgressCount: Int { unsealProgress.withLock { $0.count } }
    public func resetUnsealProgress() {
        unsealProgress.withLock { progress in
            for index in progress.indices { progress[index].zeroize() }
            progress = []
        }
    }

    public func seal() {
        barrier.seal()
        knownSealConfig.withLock { $0 = nil }
        if let haLock {
            // A sealed node is nobody's active: it stops writing and frees the lock now rather
            // than at its expiry.
            haLock.fence(nil)
            haState.withLock { $0 = .standby }
            let identity = haIdentity
            let role = clusterRoleSlot.withLock { $0 }
            // In turn with take-overs: an unseal right after this seal may already have made
            // the node active again, and then the lock and the cluster listener are its own.
            Task {
                await self.haTransitions.run {
                    guard self.isSealed else { return }
                    await role?.steppedDown()
                    try? await haLock.release(identity: identity)
                }
            }
        }
        // The index in storage keeps every deadline; the next unseal reads the window again.
        expiry.reset()
        let retired = routeTable.withLock { table in
            defer { table = RouteTable([]) }
            return table.routes
        }
        // Sealed means nothing held that opens a secret: backends drop caches and connections.
        // The next unseal builds them anew.
        if !retired.isEmpty { Task { for route in retired { await route.backend.cleanup() } } }
        policies.invalidateAll()
        identityCache.invalidate()
        oidcSigners.removeAll()
        tokens.forgetSalt()
    }

    /// `sys/seal`: seals and keeps an auto seal from unsealing again until the next start.
    public func sealByOperator() {
        operatorSealed.withLock { $0 = true }
        seal()
    }

    public var isSealedByOperator: Bool { operatorSealed.withLock { $0 } }

    /// Dev mode: initialise with one key share, unseal, and mount KV v2 at `secret/`.
    public func initializeDev(rootTokenID: String?) async throws -> (unsealKey: [UInt8], rootToken: String) {
        let result = try await initialize(shares: 1, threshold: 1, rootTokenID: rootTokenID)
        try await submitUnsealKey(result.keys[0])
        if registry.factory(kind: .secret, type: "kv") != nil {
            try await withTransaction { tx in
                try await enableMount(
                    MountEntry(path: "secret/", type: "kv", description: "key/value secret storage", kind: .secret, options: ["version": "2"]),
                    transaction: tx)
            }
        }
        return (result.keys[0], result.rootToken)
    }

    // MARK: start-up

    func setupAfterUnseal() async throws {
        try await policies.setupDefaults()
        try await tokens.setup()
        var secretMounts = try await direct.getJSON(Self.mountsPath, as: [MountEntry].self)
        if secretMounts == nil {
            secretMounts = [
                MountEntry(path: "cubbyhole/", type: "cubbyhole", description: "per-token private secret storage", kind: .secret, local: true),
                MountEntry(path: "sys/", type: "system", description: "system endpoints used for control, policy and debugging", kind: .secret),
            ]
            try await direct.putJSON(Self.mountsPath, secretMounts!)
        }
        // Every server has the identity store, those made before it existed too.
        if !secretMounts!.contains(where: { $0.path == "identity/" }) {
            secretMounts!.append(MountEntry(path: "identity/", type: "identity", description: "identity store", kind: .secret))
            try await direct.putJSON(Self.mountsPath, secretMounts!)
        }
        var authMounts = try await direct.getJSON(Self.authPath, as: [MountEntry].self)
        if authMounts == nil {
            authMounts = [MountEntry(path: "token/", type: "token", description: "token based credentials", kind: .auth)]
            try await direct.putJSON(Self.authPath, authMounts!)
        }
        var routes: [RouteTable.Route] = []
        for mount in secretMounts! + authMounts! {
            guard let factory = registry.factory(kind: mount.kind, type: mount.type) else {
                logger.error("skipping mount of unknown type", metadata: ["path": "\(mount.path)", "type": "\(mount.type)"])
                continue
            }
            routes.append(RouteTable.Route(mount: mount, backend: try factory.build(mount, core: self)))
        }
        routeTable.withLock { $0 = RouteTable(routes) }
        try await IdentityStore(storage: direct).indexMembershipsIfNeeded()
        try await setupAudit()
        // No lease or token is read here: the expiry loop reads the coming window of the index.
        try await buildExpiryIndexIfNeeded()
        try await loadLeaseQuotas()
        try await resumeRevocationJobs()
    }

    /// The server's clockwork, for its owner to run (the server runs it as a service of its
    /// service group, so it ends with the server): revokes tokens and leases whose time is up,
    /// rolls back what failed requests left, and gives every backend its periodic turn. Does
    /// nothing while sealed; returns when its task is cancelled.
    public func runMaintenance(tick: Duration = .milliseconds(200)) async {
        var ticks = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: tick)
            guard !isSealed, haStatus != .standby else { continue }
            await expireDue()
            ticks += 1
            if ticks % 10 == 0 {
                await sweepRollbacks()
                await runPeriodicFunctions()
            }
        }
    }

    /// Gives every backend its periodic turn (about every two seconds).
    func runPeriodicFunctions() async {
        for route in routes.routes {
            do {
                try await withTransaction { tx in
                    try await route.backend.periodic(storage: StorageView(tx, prefix: route.mount.storagePrefix), mount: route.mount)
                }
            } catch {
                logger.warning("periodic work failed", metadata: ["mount": "\(route.mount.routePath)", "error": "\(error)"])
            }
        }
    }

    /// What an engine mounted at `mount` may see of the server; reads the live mount table.
    func systemView(for mount: MountEntry) -> SystemView {
        let accessor = mount.accessor
        return SystemView(mount: mount, ttl: tokens.ttl, logger: logger, now: clock, current: { [weak self] in
            self?.routes.mounts.first { $0.accessor == accessor }
        })
    }

    /// Lets every mounted backend forget what it kept for a token (a cubbyhole dies with its
    /// token), each on its own storage, inside the revoking transaction.
    private func tellBackendsTokenRevoked(_ token: TokenEntry, storage: Storage) async throws {
        for route in routes.routes {
            try await route.backend.tokenRevoked(token, storage: StorageView(storage, prefix: route.mount.storagePrefix))
        }
    }
}

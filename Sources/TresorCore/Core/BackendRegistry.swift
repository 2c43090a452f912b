/// Constructors for every engine and auth method that can be mounted, by type name. The core
/// knows none of them; `tresor`'s main registers them.
public struct BackendFactory: Sendable {
    public let type: String
    public let kind: BackendKind
    public let defaultDescription: String
    /// Mount options the engine fills in when the caller gives none (kv's version).
    public let normalizeOptions: @Sendable ([String: String]) throws -> [String: String]
    /// Converts a mount's stored data when a tune changes its options (kv version 1 → 2);
    /// runs inside the tune request's transaction, on the mount's own storage.
    public let changeOptions: (@Sendable (_ from: [String: String], _ to: [String: String], StorageView) async throws -> Void)?
    /// Builds the backend for one mount from what an engine may see of the server.
    public let make: @Sendable (MountEntry, SystemView) throws -> LogicalBackend
    /// For the core's own backends (system, token), which need the core itself.
    let makeWithCore: (@Sendable (MountEntry, Core) throws -> LogicalBackend)?

    public init(type: String, kind: BackendKind, defaultDescription: String = "",
                normalizeOptions: @escaping @Sendable ([String: String]) throws -> [String: String] = { $0 },
                changeOptions: (@Sendable ([String: String], [String: String], StorageView) async throws -> Void)? = nil,
                make: @escaping @Sendable (MountEntry, SystemView) throws -> LogicalBackend) {
        self.type = type
        self.kind = kind
        self.defaultDescription = defaultDescription
        self.normalizeOptions = normalizeOptions
        self.changeOptions = changeOptions
        self.make = make
        self.makeWithCore = nil
    }

    /// A backend of the core itself.
    init(coreBackend type: String, kind: BackendKind, defaultDescription: String, make: @escaping @Sendable (MountEntry, Core) -> LogicalBackend) {
        self.type = type
        self.kind = kind
        self.defaultDescription = defaultDescription
        self.normalizeOptions = { $0 }
        self.changeOptions = nil
        self.make = { _, _ in throw TresorError.internalError("the \(type) backend belongs to the core") }
        self.makeWithCore = make
    }

    /// The backend for `mount` on `core`: engines see only their `SystemView`.
    func build(_ mount: MountEntry, core: Core) throws -> LogicalBackend {
        if let makeWithCore { return try makeWithCore(mount, core) }
        return try make(mount, core.systemView(for: mount))
    }
}

public struct BackendRegistry: Sendable {
    /// One table per kind rather than one keyed by kind: a dictionary keyed by a new type costs
    /// the runtime a scan of every protocol conformance in the binary, at start-up.
    private var secretEngines: [String: BackendFactory] = [:]
    private var authMethods: [String: BackendFactory] = [:]
    /// Other names a type is enabled under, as "kv-v2" is kv with version 2.
    var aliases: [String: (String, [String: String])] = [:]

    public init() {}

    public mutating func register(_ factory: BackendFactory) {
        switch factory.kind {
        case .secret: secretEngines[factory.type] = factory
        case .auth: authMethods[factory.type] = factory
        }
    }

    public mutating func alias(_ name: String, to type: String, options: [String: String]) {
        aliases[name] = (type, options)
    }

    func factory(kind: BackendKind, type: String) -> BackendFactory? {
        kind == .secret ? secretEngines[type] : authMethods[type]
    }
}

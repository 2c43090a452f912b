import TresorCore

/// The secrets engines this module provides, for the server to register.
public enum SecretsEngines {
    public static func register(into registry: inout BackendRegistry) {
        registry.register(BackendFactory(type: "kv", kind: .secret, defaultDescription: "key/value secret storage",
                                         normalizeOptions: KVFactory.normalize,
                                         changeOptions: KVUpgrade.changeOptions) { entry, _ in
            KVFactory.make(entry)
        })
        registry.alias("kv-v2", to: "kv", options: ["version": "2"])
        registry.alias("kv-v1", to: "kv", options: ["version": "1"])
        registry.alias("generic", to: "kv", options: [:])
        registry.register(BackendFactory(type: "database", kind: .secret, defaultDescription: "") { entry, _ in
            DatabaseBackend(mount: entry)
        })
        registry.register(BackendFactory(type: "transit", kind: .secret, defaultDescription: "") { _, system in
            TransitBackend(system: system)
        })
        registry.register(BackendFactory(type: "pki", kind: .secret, defaultDescription: "") { _, system in
            PKIBackend(system: system)
        })
        registry.register(BackendFactory(type: "cubbyhole", kind: .secret, defaultDescription: "per-token private secret storage") { _, _ in
            CubbyholeBackend()
        })
    }
}

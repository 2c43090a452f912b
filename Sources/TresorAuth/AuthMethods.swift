import TresorCore

/// The auth methods this module provides, for the server to register.
public enum AuthMethods {
    public static func register(into registry: inout BackendRegistry) {
        registry.register(BackendFactory(type: "userpass", kind: .auth, defaultDescription: "") { entry, _ in
            UserpassBackend(mount: entry)
        })
        registry.register(BackendFactory(type: "approle", kind: .auth, defaultDescription: "") { _, _ in
            AppRoleBackend()
        })
        registry.register(BackendFactory(type: "kubernetes", kind: .auth, defaultDescription: "") { _, _ in
            KubernetesBackend()
        })
    }
}

/// `sys/host-info` and `sys/config/state/sanitized`: what an operator asks about the machine
/// and the configuration a server runs with. Both go through the ACL like any path (Vault's
/// `root` policy has them; they need no sudo).
extension SystemBackend {
    static func hostPaths(_ core: Core) -> [PathSpec] {
        [
            PathSpec("host-info", synopsis: "Information about the host the server runs on.", handlers: [
                .read: { _, _ in LogicalResponse(data: HostInfo.collect().objectValue ?? [:]) },
            ]),
            PathSpec("config/state/sanitized", synopsis: "The server's configuration, without secrets.", handlers: [
                .read: { _, _ in LogicalResponse(data: core.sanitizedConfig.objectValue ?? [:]) },
            ]),
        ]
    }
}

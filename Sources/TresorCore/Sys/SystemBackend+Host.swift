/// `sys/host-info`, `sys/config/state/sanitized` and `sys/in-flight-req`: what an operator asks
/// about the machine, the configuration a server runs with and what it is doing now. All go through the ACL like any path (Vault's
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
            // Vault answers this one bare, without the response envelope.
            PathSpec("in-flight-req", synopsis: "The requests being served now.", handlers: [
                .read: { _, _ in .raw(status: 200, body: core.inFlight.report) },
            ]),
        ]
    }
}

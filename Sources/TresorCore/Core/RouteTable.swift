/// An immutable snapshot of what is mounted where. Requests read the current snapshot without
/// waiting; enabling or disabling a mount swaps in a new one.
@_spi(Server) public struct RouteTable: Sendable {
    public struct Route: Sendable {
        public let mount: MountEntry
        public let backend: LogicalBackend
        public let timers: RouteTimers

        public init(mount: MountEntry, backend: LogicalBackend) {
            self.mount = mount
            self.backend = backend
            timers = RouteTimers(mountPath: mount.routePath)
        }
    }

    /// Longest route path first, so the first prefix that matches is the most specific.
    public let routes: [Route]

    public init(_ routes: [Route]) {
        self.routes = routes.sorted { $0.mount.routePath.count > $1.mount.routePath.count }
    }

    /// The route serving `path`, and the path relative to it. "secret" reaches "secret/" too.
    public func match(_ path: String) -> (Route, String)? {
        for route in routes {
            let prefix = route.mount.routePath
            if path.hasPrefix(prefix) {
                return (route, String(path.dropFirst(prefix.count)))
            }
            if path.utf8.count + 1 == prefix.utf8.count && prefix.hasPrefix(path) {
                return (route, "")
            }
        }
        return nil
    }

    public func route(forMountPath path: String, kind: BackendKind) -> Route? {
        routes.first { $0.mount.path == path && $0.mount.kind == kind }
    }

    public var mounts: [MountEntry] { routes.map(\.mount) }

    public func replacing(_ edit: (inout [Route]) -> Void) -> RouteTable {
        var copy = routes
        edit(&copy)
        return RouteTable(copy)
    }
}

import Foundation

/// Enabling, disabling and tuning secrets engines and auth methods. Each change is written in
/// the request's transaction and the in-memory route table is swapped only after it commits.
extension Core {
    static let protectedSecretMounts: Set<String> = ["sys/", "cubbyhole/", "identity/"]

    public static func normalizeMountPath(_ raw: String) throws(TresorError) -> String {
        var path = raw.trimming { $0 == "/" }
        guard !path.isEmpty else { throw .badRequest("missing mount path") }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        if segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            throw .badRequest("invalid mount path \"\(raw)\"")
        }
        if path.contains(where: { $0 == "*" || $0 == "+" || $0.isNewline }) {
            throw .badRequest("invalid mount path \"\(raw)\": wildcards are not allowed")
        }
        path += "/"
        return path
    }

    private func tablePath(_ kind: BackendKind) -> String {
        kind == .auth ? Self.authPath : Self.mountsPath
    }

    /// Reads the stored table under the table's lock, so concurrent changes never lose each other.
    private func lockedTable(_ kind: BackendKind, _ tx: RequestTransaction) async throws -> [MountEntry] {
        await tx.lock(tablePath(kind))
        return try await tx.getJSON(tablePath(kind), as: [MountEntry].self) ?? []
    }

    public func enableMount(_ requested: MountEntry, transaction tx: RequestTransaction) async throws {
        var entry = requested
        entry.path = try Self.normalizeMountPath(entry.path)
        var options = entry.options
        if let alias = registry.aliases[entry.type] {
            entry.type = alias.0
            options.merge(alias.1) { _, aliasValue in aliasValue }
        }
        guard let factory = registry.factory(kind: entry.kind, type: entry.type) else {
            throw TresorError.badRequest("plugin not found in the catalog: \(requested.type)")
        }
        if entry.kind == .secret {
            if Self.protectedSecretMounts.contains(where: { entry.path.hasPrefix($0) }) || entry.path.hasPrefix("auth/") {
                throw TresorError.badRequest("cannot mount under \"\(entry.path)\": path is reserved")
            }
        }
        if entry.type == "system" || entry.type == "token" || entry.type == "cubbyhole" || entry.type == "identity" {
            throw TresorError.badRequest("mount type of \"\(entry.type)\" is not mountable")
        }
        entry.options = try factory.normalizeOptions(options)
        if entry.description.isEmpty { entry.description = factory.defaultDescription }
        var table = try await lockedTable(entry.kind, tx)
        if let clash = table.first(where: { entry.path.hasPrefix($0.path) || $0.path.hasPrefix(entry.path) }) {
            if clash.path == entry.path {
                throw TresorError.badRequest("path is already in use at \(entry.path)")
            }
            throw TresorError.badRequest("path is already in use at \(clash.path)")
        }
        let backend = try factory.build(entry, core: self)
        table.append(entry)
        try await tx.putJSON(tablePath(entry.kind), table)
        let added = entry
        tx.afterCommit { [weak self] in
            self?.routeTable.withLock { current in
                current = current.replacing { $0.append(RouteTable.Route(mount: added, backend: backend)) }
            }
        }
    }

    public func disableMount(path raw: String, kind: BackendKind, transaction tx: RequestTransaction) async throws {
        let path = try Self.normalizeMountPath(raw)
        if kind == .secret && (Self.protectedSecretMounts.contains(path)) || kind == .auth && path == "token/" {
            throw TresorError.badRequest("cannot unmount \"\(path)\"")
        }
        var table = try await lockedTable(kind, tx)
        guard let index = table.firstIndex(where: { $0.path == path }) else {
            // Vault answers success for an absent mount, so repeated disables are harmless.
            return
        }
        // Its leases go first, through the backend: an unmount must not strand live credentials.
        try await revokeLeases(prefix: table[index].routePath, force: false)
        let entry = table.remove(at: index)
        try await tx.putJSON(tablePath(kind), table)
        for key in try await tx.listRecursive(entry.storagePrefix) {
            try await tx.delete(entry.storagePrefix + key)
        }
        let backend = routes.route(forMountPath: path, kind: kind)?.backend
        tx.afterCommit { [weak self] in
            self?.routeTable.withLock { current in
                current = current.replacing { $0.removeAll { $0.mount.uuid == entry.uuid } }
            }
            if let backend { Task { await backend.cleanup() } }
        }
    }

    public func mountEntry(path raw: String, kind: BackendKind) -> MountEntry? {
        guard let path = try? Self.normalizeMountPath(raw) else { return nil }
        return routes.mounts.first { $0.path == path && $0.kind == kind }
    }

    /// Applies `edit` to a mount's entry and swaps the route to a backend built for the new entry.
    public func updateMount(path raw: String, kind: BackendKind, transaction tx: RequestTransaction,
                            edit: (inout MountEntry) throws -> Void) async throws {
        let path = try Self.normalizeMountPath(raw)
        var table = try await lockedTable(kind, tx)
        guard let index = table.firstIndex(where: { $0.path == path }) else {
            throw TresorError.badRequest("no mount at \(path)")
        }
        var entry = table[index]
        let previousOptions = entry.options
        try edit(&entry)
        if let factory = registry.factory(kind: kind, type: entry.type) {
            entry.options = try factory.normalizeOptions(entry.options)
            if entry.options != previousOptions, let change = factory.changeOptions {
                try await change(previousOptions, entry.options, StorageView(tx, prefix: entry.storagePrefix))
            }
        }
        table[index] = entry
        try await tx.putJSON(tablePath(kind), table)
        let updated = entry
        let backend: LogicalBackend
        let existing = routes.route(forMountPath: path, kind: kind)
        var retired: LogicalBackend?
        if let existing, existing.mount.options == updated.options {
            backend = existing.backend
        } else {
            guard let factory = registry.factory(kind: kind, type: entry.type) else {
                throw TresorError.internalError("mount type \(entry.type) is not registered")
            }
            backend = try factory.build(updated, core: self)
            retired = existing?.backend
        }
        tx.afterCommit { [weak self, retired] in
            if let retired { Task { await retired.cleanup() } }
            self?.routeTable.withLock { current in
                current = current.replacing { routes in
                    routes.removeAll { $0.mount.uuid == updated.uuid }
                    routes.append(RouteTable.Route(mount: updated, backend: backend))
                }
            }
        }
    }

    /// Moves a mount to a new path; its data stays where it is (keyed by the mount's UUID).
    public func remount(from rawFrom: String, to rawTo: String, transaction tx: RequestTransaction) async throws {
        var from = try Self.normalizeMountPath(rawFrom)
        var to = try Self.normalizeMountPath(rawTo)
        let kind: BackendKind = from.hasPrefix("auth/") ? .auth : .secret
        if kind == .auth {
            guard to.hasPrefix("auth/") else { throw TresorError.badRequest("cannot move an auth method to a secrets engine path") }
            from = String(from.dropFirst(5))
            to = String(to.dropFirst(5))
        }
        if kind == .secret && (Self.protectedSecretMounts.contains(from) || to.hasPrefix("auth/") || Self.protectedSecretMounts.contains(where: { to.hasPrefix($0) })) {
            throw TresorError.badRequest("cannot remount \"\(from)\" to \"\(to)\"")
        }
        var table = try await lockedTable(kind, tx)
        guard let index = table.firstIndex(where: { $0.path == from }) else {
            throw TresorError.badRequest("no secret engine mount at \(from)")
        }
        if let clash = table.first(where: { $0.path != from && (to.hasPrefix($0.path) || $0.path.hasPrefix(to)) }) {
            throw TresorError.badRequest("path already in use at \(clash.path)")
        }
        // Leases name the old path; revoke them rather than strand them.
        try await revokeLeases(prefix: table[index].routePath, force: false)
        table[index].path = to
        try await tx.putJSON(tablePath(kind), table)
        let moved = table[index]
        guard let backend = routes.route(forMountPath: from, kind: kind)?.backend else {
            throw TresorError.internalError("mount \(from) has no backend")
        }
        tx.afterCommit { [weak self] in
            self?.routeTable.withLock { current in
                current = current.replacing { routes in
                    routes.removeAll { $0.mount.uuid == moved.uuid }
                    routes.append(RouteTable.Route(mount: moved, backend: backend))
                }
            }
        }
    }
}

import Foundation

/// What the core answers for one request.
@_spi(Server) public struct CoreResponse: Sendable {
    public var response: LogicalResponse?
    public var operation: LogicalOperation
    public var mountType: String
    public var requestID: String
}

extension Core {
    /// The request pipeline: token → ACL → route → handler → commit. Any failure before the
    /// commit leaves storage untouched.
    public func handle(_ request: LogicalRequest) async throws(TresorError) -> CoreResponse {
        let started = Telemetry.start()
        do {
            let response = try await process(request)
            // A login: a token issued to a caller that came without one.
            let login = response.response?.auth != nil && request.clientToken.isEmpty
            Telemetry.record(login ? Telemetry.handleLoginRequest : Telemetry.handleRequest, since: started)
            return response
        } catch let error as TresorError {
            Telemetry.record(Telemetry.handleRequest, since: started)
            throw error
        } catch {
            Telemetry.record(Telemetry.handleRequest, since: started)
            // The path is not logged: some paths carry tokens (auth/token/lookup/<token>).
            logger.error("request failed", metadata: ["request_id": "\(request.id)", "error": "\(error)"])
            throw TresorError.internalError("internal error")
        }
    }

    /// Refused when no audit device recorded the event: an unaudited request must not happen.
    static let auditFailure = TresorError.internalError("audit failure: no audit device could record the request")

    /// Paths Vault serves outside its audited pipeline: status polls that carry no secrets.
    /// What a standby answers itself besides the sealed-state paths: sealing the node itself.
    public static let standbyPaths: Set<String> = ["seal"]
    static let noActiveNode = TresorError(.sealed, status: 503, messages: ["local node not active but active cluster node not found"])

    static let unauditedSystemPaths: Set<String> = ["sys/health", "sys/seal-status", "sys/leader", "sys/init", "sys/unseal"]

    /// `sys/seal` on a standby seals that node only. The caller's token and policies are read
    /// from storage, not from anything the standby cached, and must grant sudo on `sys/seal`.
    private func sealStandby(_ request: LogicalRequest) async throws -> CoreResponse {
        guard request.isWrite else { throw TresorError.unsupportedOperation }
        barrier.dropCache()
        policies.invalidateAll()
        defer { barrier.dropCache() }
        try await tokens.loadSalt()
        guard let entry = try await tokens.lookup(token: request.clientToken, storage: direct) else { throw TresorError.invalidToken }
        let acl = try await policies.acl(for: entry.policies, storage: direct)
        guard acl.allows(.update, path: "sys/seal", data: [:], needsSudo: true) else { throw TresorError.permissionDenied }
        sealByOperator()
        return CoreResponse(response: nil, operation: .update, mountType: "system", requestID: request.id)
    }

    private func process(_ incoming: LogicalRequest) async throws -> CoreResponse {
        var request = incoming
        if request.operation == .list && !request.path.hasSuffix("/") && !request.path.isEmpty {
            request.path += "/"
        }
        let table = routes
        var matched = table.match(request.path)
        var routed = matched.flatMap { $0.0.backend.route($0.1) }
        if let (route, _) = matched, let (spec, captures) = routed, let canonical = Self.canonicalize(spec, captures) {
            // Case-insensitive names (users, roles) in the form the backend stores them, before
            // the ACL sees the path: a deny on `users/admin` also stops `users/ADMIN`.
            request.path = route.mount.routePath + canonical.path
            matched = (route, canonical.path)
            routed = (spec, canonical.captures)
        }

        if isSealed || isStandby {
            // No mount table while sealed or standing by: a transient system backend serves the
            // status paths. A standby's HTTP layer forwards the rest to the active node.
            let system = SystemBackend(core: self)
            guard request.path.hasPrefix("sys/"), case let relative = String(request.path.dropFirst(4)),
                  system.specialPaths.allowedWhenSealed.matches(relative) || (isStandby && Self.standbyPaths.contains(relative)) else {
                throw isSealed ? TresorError.sealed : Self.noActiveNode
            }
            if isStandby && relative == "seal" { return try await sealStandby(request) }
            let route = RouteTable.Route(mount: MountEntry(path: "sys/", type: "system", kind: .secret), backend: system)
            let operation: LogicalOperation = request.isWrite ? .update : request.operation
            try request.loadBody()
            return try await run(request, route: route, relative: relative, token: nil, operation: operation)
        }

        let auditing = !audit.isEmpty && !Self.unauditedSystemPaths.contains(request.path)
        let unrouted = matched != nil && routed == nil
        /// Records a request that ends in an error before reaching its handler, then fails with it.
        func refuse(_ error: TresorError, _ operation: LogicalOperation, _ mount: MountEntry?, _ token: TokenEntry?) async -> TresorError {
            guard auditing else { return error }
            var event = AuditEvent(kind: .request, request: request, operation: operation, mount: mount, token: token,
                                   error: error.messages.first ?? "error \(error.status)")
            event.hidesPathBelowMount = unrouted
            guard await audit.log(event) else { return Self.auditFailure }
            var response = event
            response.kind = .response
            guard await audit.log(response) else { return Self.auditFailure }
            return error
        }

        // The break-glass listener options open root generation or rekey to callers without a token.
        let breakGlass = (request.unauthenticatedOperatorPaths.contains("generate-root") && request.path.hasPrefix("sys/generate-root/"))
            || (request.unauthenticatedOperatorPaths.contains("rekey") && request.path.hasPrefix("sys/rekey/"))
        // A listener with `telemetry { unauthenticated_metrics_access = true }` lets scrapers in.
        let openMetrics = request.unauthenticatedOperatorPaths.contains("metrics") && request.path == "sys/metrics"
        let unauthenticated = breakGlass || openMetrics || (matched.map { $0.0.backend.specialPaths.unauthenticated.matches($0.1) } ?? false)
        var token: TokenEntry?
        if !unauthenticated {
            guard let entry = try await tokens.lookup(token: request.clientToken, storage: direct) else {
                // A used or expired wrapping token presented to unwrap it: Vault names the problem.
                let wrappingPaths: Set<String> = ["sys/wrapping/unwrap", "sys/wrapping/rewrap"]
                let error = wrappingPaths.contains(request.path) ? Self.invalidWrappingToken : TresorError.invalidToken
                throw await refuse(error, request.operation, matched?.0.mount, nil)
            }
            if let cidrs = entry.boundCIDRs, !cidrs.isEmpty,
               !CIDR.contains(any: cidrs, address: request.remoteAddress ?? "") {
                throw await refuse(TresorError.invalidToken, request.operation, matched?.0.mount, nil)
            }
            token = entry
        }
        // Only now is the body worth parsing: the caller is known, or the path needs no token.
        do {
            try request.loadBody()
        } catch {
            throw await refuse(error, request.operation, matched?.0.mount, token)
        }

        guard let (route, relative) = matched else {
            if let token, !token.isRoot {
                let acl = try await acl(for: token)
                if !acl.allows(request.isWrite ? .update : request.operation, path: request.path, data: request.data, needsSudo: false) {
                    throw await refuse(TresorError.permissionDenied, request.operation, nil, token)
                }
            }
            throw await refuse(TresorError.notFound("no handler for route \"\(request.path)\". route entry not found."), request.operation, nil, token)
        }

        var operation = request.operation
        let transaction = newTransaction()
        var spent: TokenEntry?
        do {
            if request.isWrite || operation == .create || operation == .update {
                operation = try await resolveWrite(request, route: route, relative: relative, token: token, transaction: transaction)
            }
            if let current = token, !unauthenticated {
                let acl = try await acl(for: current)
                let needsSudo = route.backend.specialPaths.root.matches(relative)
                let parameters = Self.parametersForACL(request.data, spec: routed?.0)
                guard acl.allows(operation, path: request.path, data: parameters, needsSudo: needsSudo) else {
                    throw await refuse(TresorError.permissionDenied, operation, route.mount, current)
                }
            }
            if let current = token, current.numUses > 0 {
                guard let after = try await tokens.spendUse(current, locks: locks) else {
                    throw await refuse(TresorError.invalidToken, operation, route.mount, current)
                }
                token = after
                if after.numUses < 0 { spent = after }
            }
            var event = AuditEvent(kind: .request, request: request, operation: operation, mount: route.mount, token: token)
            event.hidesPathBelowMount = unrouted
            // The request entry is queued, not awaited: the response entry below is, and it
            // fails unless the request entry reached the same device. Nothing commits before.
            let ticket = auditing ? audit.enqueue(event) : nil
            if auditing { event.kind = .response }
            var result: CoreResponse
            do {
                result = try await run(request, route: route, relative: relative, token: token, operation: operation,
                                       transaction: transaction, routed: routed)
                if let grant = result.response?.login {
                    result.response?.auth = try await issueLoginToken(grant, request: request, mount: route.mount, transaction: transaction)
                    result.response?.login = nil
                }
                if let grant = result.response?.secret {
                    result.response?.lease = try await registerLease(grant, request: request, mount: route.mount, token: token, transaction: transaction)
                    result.response?.secret = nil
                }
                // Wrapped inside the same transaction: no wrapping token outlives a failed request.
                if request.wrapTTL > 0, let response = result.response, response.raw == nil, response.wrapInfo == nil {
                    result.response = try await wrap(response, path: request.path, ttl: request.wrapTTL, storage: transaction)
                }
            } catch {
                if auditing {
                    event.error = (error as? TresorError)?.messages.first ?? "internal error"
                    guard await audit.log(event, after: ticket) else { throw Self.auditFailure }
                }
                throw error
            }
            if auditing {
                event.response = result.response
                // The response entry must be written before anything takes effect.
                guard await audit.log(event, after: ticket) else { throw Self.auditFailure }
            }
            try await transaction.commit()
            await revokeSpent(spent)
            return result
        } catch {
            transaction.discard()
            await rollBack(transaction.pendingRollbacks)
            await revokeSpent(spent)
            throw error
        }
    }

    /// The request's parameters as its handler will read them where that can differ in meaning:
    /// comma lists split and policy names normalised, so the ACL judges what takes effect
    /// ("dev,admin" is two policies). Other values are judged as sent, as in Vault (a policy
    /// allowing `ttl = ["1h"]` compares the text, not 3600). A value that does not convert is
    /// judged as sent; its handler refuses it anyway.
    static func parametersForACL(_ data: [String: JSONValue], spec: PathSpec?) -> [String: JSONValue] {
        guard let spec, !spec.fields.isEmpty, !data.isEmpty else { return data }
        let fields = FieldData(raw: data, schema: spec.fields)
        var converted = data
        for (name, value) in data {
            guard let field = spec.fields[name], field.type == .commaStringSlice || field.type == .policyNames,
                  let typed = try? fields.convert(value, field) else { continue }
            converted[name] = typed
        }
        return converted
    }

    /// The relative path and captures with the spec's case-insensitive captures lower-cased, or
    /// nil when nothing changes.
    static func canonicalize(_ spec: PathSpec, _ captures: [String: String]) -> (path: String, captures: [String: String])? {
        guard !spec.lowercasedCaptures.isEmpty else { return nil }
        var lowered = captures
        for name in spec.lowercasedCaptures {
            if let value = captures[name] { lowered[name] = value.lowercased() }
        }
        guard lowered != captures else { return nil }
        return (spec.pattern.render(lowered), lowered)
    }

    /// A PUT/POST is a create when the target does not exist yet, an update otherwise; only paths
    /// with an existence check can tell, the rest are updates.
    private func resolveWrite(_ request: LogicalRequest, route: RouteTable.Route, relative: String, token: TokenEntry?, transaction: RequestTransaction) async throws -> LogicalOperation {
        guard let (spec, captures) = route.backend.route(relative), let check = spec.existenceCheck else {
            return .update
        }
        let context = makeContext(request, route: route, relative: relative, captures: captures, token: token, operation: .update, transaction: transaction)
        let exists = try await check(context, FieldData(raw: request.data, schema: spec.fields))
        return exists ? .update : .create
    }

    private func makeContext(_ request: LogicalRequest, route: RouteTable.Route, relative: String, captures: [String: String], token: TokenEntry?, operation: LogicalOperation, transaction: RequestTransaction) -> RequestContext {
        RequestContext(request: request, operation: operation, path: relative, captures: captures,
                       storage: StorageView(transaction, prefix: route.mount.storagePrefix),
                       mount: route.mount, token: token, transaction: transaction, ttl: tokens.ttl.effective(for: route.mount))
    }

    private func run(_ request: LogicalRequest, route: RouteTable.Route, relative: String, token: TokenEntry?, operation: LogicalOperation,
                     transaction: RequestTransaction? = nil, routed: (PathSpec, [String: String])? = nil) async throws -> CoreResponse {
        let transaction = transaction ?? newTransaction()
        guard let (spec, captures) = routed ?? route.backend.route(relative) else {
            throw TresorError.unsupportedPath
        }
        let handler: PathHandler?
        switch operation {
        case .create: handler = spec.handlers[.create] ?? spec.handlers[.update]
        case .update: handler = spec.handlers[.update] ?? spec.handlers[.create]
        case .help: handler = nil
        default: handler = spec.handlers[operation]
        }
        if operation == .help {
            let help = spec.synopsis.isEmpty ? "No help available for \(request.path)" : spec.synopsis
            return CoreResponse(response: .raw(status: 200, body: ["help": .string(help), "see_also": .null]), operation: operation,
                                mountType: route.mount.type, requestID: request.id)
        }
        guard let handler else { throw TresorError.unsupportedOperation }
        let fields = FieldData(raw: request.data, schema: spec.fields)
        try fields.validate()
        let context = makeContext(request, route: route, relative: relative, captures: captures, token: token, operation: operation, transaction: transaction)
        let started = Telemetry.start()
        defer { route.timers.timer(for: operation).map { Telemetry.record($0, since: started) } }
        var response = try await handler(context, fields)
        if !spec.fields.isEmpty, case let unknown = fields.unknownFields, !unknown.isEmpty, response != nil {
            response!.warnings.append("Endpoint ignored these unrecognized parameters: [\(unknown.joined(separator: " "))]")
        }
        return CoreResponse(response: response, operation: operation, mountType: route.mount.type, requestID: request.id)
    }

    /// Turns an auth method's login into a token, in the login's own transaction: if anything
    /// after this fails (the audit entry, the commit), the token never existed.
    private func issueLoginToken(_ grant: LoginGrant, request: LogicalRequest, mount: MountEntry,
                                 transaction: RequestTransaction) async throws -> AuthResponse {
        let limits = tokens.ttl.effective(for: mount)
        var params = TokenParams()
        params.login = grant
        params.authMountAccessor = mount.accessor
        params.policies = grant.policies
        params.noDefaultPolicy = grant.noDefaultPolicy
        params.meta = grant.metadata
        params.displayName = grant.displayName
        params.exactDisplayName = true
        params.ttl = grant.ttl > 0 ? min(grant.ttl, limits.maxTTL) : limits.defaultTTL
        params.explicitMaxTTL = grant.maxTTL > 0 ? min(grant.maxTTL, limits.maxTTL) : limits.maxTTL
        params.period = grant.period
        params.numUses = grant.numUses
        params.renewable = grant.renewable
        params.path = request.path
        params.batch = MountEntry.issuesBatchTokens(tuned: mount.config.tokenType, requested: grant.tokenType)
        if let alias = grant.aliasName, !alias.isEmpty {
            params.entityID = try await entityForLogin(alias: alias, mount: mount, storage: transaction)
        }
        let (token, entry) = try await tokens.create(params, parent: nil, storage: transaction)
        var auth = AuthResponse(clientToken: token, accessor: entry.accessor, policies: entry.policies, tokenPolicies: entry.policies,
                                metadata: entry.meta, leaseDuration: entry.creationTTL, renewable: entry.renewable,
                                orphan: true, numUses: max(entry.numUses, 0), tokenType: entry.type)
        auth.entityID = entry.entityID ?? ""
        if entry.entityID != nil {
            auth.identityPolicies = try await effectivePolicies(entry, storage: transaction).filter { !entry.policies.contains($0) }
        }
        return auth
    }

    /// Revokes a token tree in a transaction of its own.
    func revokeNow(_ hash: String) async throws {
        try await withTransaction { tx in try await tokens.revokeTree(hash: hash, storage: tx) }
    }

    /// A token's last use is over whatever the request's outcome: revoke it, and only log a
    /// failure (the scheduler or a later lookup still refuses the spent token).
    private func revokeSpent(_ spent: TokenEntry?) async {
        guard let spent else { return }
        do {
            try await revokeNow(spent.id)
        } catch {
            logger.error("failed to revoke a used-up token", metadata: ["error": "\(error)"])
        }
    }
}

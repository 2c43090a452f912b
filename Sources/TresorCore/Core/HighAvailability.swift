import Foundation
import Synchronization

/// The lock that makes one node of several sharing a store the active one. A backend that
/// offers it (PostgreSQL's lock table) also fences: while `fence` names this node, every commit
/// checks in its own transaction that this node still holds the lock, and fails otherwise.
public protocol HALock: Sendable {
    /// Takes the lock for `identity`, or extends it when `identity` holds it already, for `ttl`.
    /// `value` is what others learn about the holder (its API address). Returns whether
    /// `identity` holds the lock now.
    func acquire(identity: String, value: String, ttl: Duration) async throws -> Bool
    /// Gives the lock up if `identity` holds it.
    func release(identity: String) async throws
    /// The live holder: its identity and value.
    func holder() async throws -> (identity: String, value: String)?
    /// The identity every commit must hold the lock for; nil turns the check off (a node that
    /// was never active, or is sealed). An identity that does not hold the lock makes every
    /// commit fail, which is what a node that stepped down wants for requests still in flight.
    func fence(_ identity: String?)
    /// Records that `identity` (at `value`) is alive, for `sys/ha-status`.
    func echo(identity: String, value: String) async throws
    /// The nodes that echoed recently.
    func members() async throws -> [(identity: String, value: String, lastEcho: Date)]
}

extension TresorError {
    /// A fenced commit whose node no longer holds the lock: nothing was written.
    public static let fencedOut = TresorError(.sealed, status: 503, messages: ["this node is no longer the active node; the write was not committed"])
}

/// Where a node stands in a cluster.
public enum HAState: Sendable, Equatable {
    /// No HA storage: the node is always the active one once unsealed.
    case disabled
    /// Unsealed, not holding the lock: forwards requests and serves only its own status.
    case standby
    case active(since: Date)
}

@_spi(Server) extension Core {
    /// How long the lock lasts without renewal: a frozen or dead active loses it after this.
    public static let haLockTTL: Duration = .seconds(3)
    /// How often the active renews and standbys try.
    public static let haTick: Duration = .milliseconds(500)

    public var haEnabled: Bool { haLock != nil }

    public var haLockForStatus: HALock? { haLock }

    public var haStatus: HAState { haState.withLock { $0 } }

    /// Unsealed and serving as a standby: requests go to the active node.
    public var isStandby: Bool { !isSealed && haStatus == .standby }

    /// The active node's API address, as the lock says; empty when none holds it. `isSelf` only
    /// once this node has finished taking over, not while it loads its state.
    public func leaderAddress() async -> (isSelf: Bool, address: String)? {
        guard let haLock else { return nil }
        guard let holder = try? await haLock.holder() else { return (false, "") }
        guard holder.identity == haIdentity else { return (false, holder.value) }
        if case .active = haStatus { return (true, holder.value) }
        return (false, "")
    }

    /// After an unseal: without HA the node is active at once; with HA it becomes a standby and
    /// the HA loop takes the lock when it can (at once when nobody holds it).
    func afterUnseal() async throws {
        guard haLock != nil else {
            try await setupAfterUnseal()
            return
        }
        haState.withLock { $0 = .standby }
        await haStep()
    }

    /// The cluster loop, for the server to run as a service: standbys try for the lock, the
    /// active renews it and steps down when it cannot. Returns when its task is cancelled.
    public func runHighAvailability() async {
        guard haLock != nil else { return }
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.haTick)
            await haStep()
        }
    }

    /// One turn of the loop; a turn that finds another still running (the unseal's own turn
    /// and the loop's) does nothing. Turns and step-downs pass one at a time through
    /// `haTransitions`: a step-down that interleaved with a take-over could clear the mount
    /// table the take-over had just loaded and leave an "active" node that serves nothing.
    func haStep() async {
        guard let haLock else { return }
        let claimed = haStepping.withLock { busy -> Bool in
            if busy { return false }
            busy = true
            return true
        }
        guard claimed else { return }
        defer { haStepping.withLock { $0 = false } }
        await haTransitions.run { await self.haTurn(haLock) }
    }

    private func haTurn(_ haLock: HALock) async {
        if isSealed {
            if case .active = haStatus { await stepDownNow(reason: "sealed") }
            return
        }
        let held: Bool
        do {
            try await haLock.echo(identity: haIdentity, value: echoValue)
            if haStatus == .standby, let until = holdOffUntil.withLock({ $0 }), clock() < until { return }
            held = try await haLock.acquire(identity: haIdentity, value: apiAddress, ttl: Self.haLockTTL)
        } catch {
            logger.warning("cannot reach the HA lock", metadata: ["error": "\(error)"])
            if case .active = haStatus { await stepDownNow(reason: "the lock could not be renewed") }
            return
        }
        switch (haStatus, held) {
        case (.standby, true):
            await becomeActive()
        case (.active, false):
            await stepDownNow(reason: "another node holds the lock")
        default:
            break
        }
    }

    /// Takes over: trusts nothing held as a standby (the keyring, every cached value, policies),
    /// loads mounts, tokens and leases from storage, and starts fencing its writes.
    func becomeActive() async {
        haLock?.fence(haIdentity)
        do {
            try await barrier.reloadKeyring()
            policies.invalidateAll()
            try await setupAfterUnseal()
            try await clusterRole?.becomingActive()
            haState.withLock { $0 = .active(since: clock()) }
            logger.info("this node is now the active node")
        } catch {
            logger.error("could not become the active node", metadata: ["error": "\(error)"])
            await stepDownNow(reason: "setup failed")
        }
    }

    /// Hands the active role back: stops fencing for itself (so nothing more commits), drops the
    /// mount table, caches and expiry timers, and lets the lock go.
    public func stepDown(reason: String) async {
        await haTransitions.run { await self.stepDownNow(reason: reason) }
    }

    /// `stepDown` for a caller already inside `haTransitions`.
    private func stepDownNow(reason: String) async {
        let wasActive: Bool = haState.withLock { state in
            defer { if state != .disabled { state = .standby } }
            if case .active = state { return true }
            return false
        }
        // Requests still in flight on this node must not commit: fence them with an identity
        // that holds no lock.
        haLock?.fence(haIdentity + "/stepped-down")
        await clusterRole?.steppedDown()
        let retired = routeTable.withLock { table in
            defer { table = RouteTable([]) }
            return table.routes
        }
        for route in retired { await route.backend.cleanup() }
        barrier.dropCache()
        policies.invalidateAll()
        // Another node may change identities while this one stands by.
        identityCache.invalidate()
        oidcSigners.removeAll()
        expiry.reset()
        try? await haLock?.release(identity: haIdentity)
        if wasActive { logger.warning("this node stepped down to standby", metadata: ["reason": "\(reason)"]) }
    }

    /// `sys/step-down`: the active gives up the lock and waits before trying again, so another
    /// node takes over.
    public func stepDownByOperator() async {
        await haTransitions.run {
            guard case .active = self.haStatus else { return }
            self.holdOffUntil.withLock { $0 = self.clock().addingTimeInterval(2 * Double(Self.haLockTTL.components.seconds)) }
            await self.stepDownNow(reason: "sys/step-down")
        }
    }

    /// At shutdown: an active node hands the lock over at once rather than letting it expire.
    public func leaveCluster() async {
        await haTransitions.run {
            guard case .active = self.haStatus else { return }
            await self.stepDownNow(reason: "shutting down")
        }
    }

    /// Called by the storage layer when a fenced commit found the lock gone. A take-over in
    /// progress finishes first; the step-down then undoes it, since its lock is gone.
    public func fencedOut() {
        Task {
            await self.haTransitions.run {
                guard case .active = self.haStatus else { return }
                await self.stepDownNow(reason: "a write found the lock held by another node")
            }
        }
    }
}

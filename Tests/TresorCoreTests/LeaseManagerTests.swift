import Foundation
import Synchronization
import Testing
@_spi(Server) @testable import TresorCore

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let current: Mutex<Date>
    init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = Mutex(start) }
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 += seconds } }
    var function: @Sendable () -> Date { { [self] in now } }
}

/// An engine whose credentials live 60 s and whose revocations fail while told to.
struct LeasingProbe: LeasingBackend {
    static let failures = Mutex(0)
    let paths: [PathSpec] = [
        PathSpec("creds", handlers: [
            .read: { _, _ in
                var response = LogicalResponse(data: ["user": "u"])
                response.secret = SecretGrant(type: "probe", ttl: 60, maxTTL: 600, internalData: [:])
                return response
            },
        ]),
    ]
    let secretTypes: [String: SecretType] = [
        "probe": SecretType(name: "probe", revoke: { _ in
            let fail = LeasingProbe.failures.withLock { left -> Bool in
                guard left > 0 else { return false }
                left -= 1
                return true
            }
            if fail { throw TresorError.internalError("database unreachable") }
        }),
    ]
}

/// The lease manager against an injected clock: deadlines, backoff, the irrevocable flag and
/// restoring leases at unseal (issue 15, point 6).
@Suite(.serialized) struct LeaseManagerTests {
    static func core(_ physical: InMemoryBackend, clock: ManualClock) -> Core {
        var registry = BackendRegistry()
        registry.register(BackendFactory(type: "leasing", kind: .secret) { _, _ in LeasingProbe() })
        return Core(physical: physical, registry: registry, clock: clock.function)
    }

    func issue(_ core: Core, root: String) async throws -> String {
        let read = try await TestCore.request(core, .read, "leasing/creds", token: root)
        return try #require(read.response?.lease?.leaseID)
    }

    @Test func leasesFallDueByTheInjectedClock() async throws {
        let clock = ManualClock()
        let core = Self.core(InMemoryBackend(), clock: clock)
        let (_, root) = try await core.initializeDev(rootTokenID: nil)
        _ = try await TestCore.request(core, .update, "sys/mounts/leasing", token: root, data: ["type": "leasing"])
        let id = try await issue(core, root: root)
        let entry = try #require(try await core.lease(id))
        #expect(entry.expireTime == clock.now.addingTimeInterval(60))
        try await core.refillExpiryWindow(now: clock.now)
        #expect(core.expiry.due(at: clock.now.addingTimeInterval(59)).isEmpty)
        #expect(core.expiry.due(at: clock.now.addingTimeInterval(61)).map(\.id) == [id])
    }

    @Test func failedRevocationsBackOffThenTheLeaseIsFlaggedIrrevocable() async throws {
        let clock = ManualClock()
        let core = Self.core(InMemoryBackend(), clock: clock)
        let (_, root) = try await core.initializeDev(rootTokenID: nil)
        _ = try await TestCore.request(core, .update, "sys/mounts/leasing", token: root, data: ["type": "leasing"])
        let id = try await issue(core, root: root)
        LeasingProbe.failures.withLock { $0 = 100 }
        defer { LeasingProbe.failures.withLock { $0 = 0 } }
        for attempt in 1...Core.irrevocableAfter {
            await #expect(throws: TresorError.self) { try await core.revokeLease(id) }
            let entry = try #require(try await core.lease(id), "a lease that failed to revoke is kept")
            #expect(entry.revokeAttempts == attempt)
            #expect(entry.lastRevokeError == "database unreachable")
            #expect(entry.irrevocable == (attempt >= Core.irrevocableAfter))
            let retry = Core.revocationBackoff(attempts: attempt)
            #expect(core.expiry.due(at: clock.now.addingTimeInterval(retry - 1)).isEmpty)
            #expect(core.expiry.due(at: clock.now.addingTimeInterval(retry + 1)).map(\.id) == [id])
        }
        #expect(Core.revocationBackoff(attempts: 20) == 300)
        // Once the database answers again, the next try revokes it for good.
        LeasingProbe.failures.withLock { $0 = 0 }
        try await core.revokeLease(id)
        #expect(try await core.lease(id) == nil)
    }

    @Test func leasesAreRestoredAtUnsealAndThoseThatExpiredMeanwhileAreDue() async throws {
        let clock = ManualClock()
        let physical = InMemoryBackend()
        let first = Self.core(physical, clock: clock)
        let (unsealKey, root) = try await first.initializeDev(rootTokenID: nil)
        _ = try await TestCore.request(first, .update, "sys/mounts/leasing", token: root, data: ["type": "leasing"])
        let id = try await issue(first, root: root)
        first.seal()
        clock.advance(3600)
        let second = Self.core(physical, clock: clock)
        try await second.submitUnsealKey(unsealKey)
        // Nothing was read at unseal; the window's first refill finds it overdue, and one turn
        // of the expiry loop revokes it.
        #expect(second.expiry.count == 0)
        await second.expireDue()
        #expect(try await second.lease(id) == nil, "overdue at unseal, revoked by the first turn")
    }
}

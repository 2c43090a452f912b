import Foundation
import Synchronization
import Testing
@_spi(Server) @testable import TresorCore

/// An HA lock in memory whose release takes a network round trip, as etcd's and PostgreSQL's do.
final class SlowReleaseLock: HALock {
    private let holderState = Mutex<(identity: String, value: String)?>(nil)

    func acquire(identity: String, value: String, ttl: Duration) async throws -> Bool {
        holderState.withLock { holder in
            if holder == nil || holder?.identity == identity { holder = (identity, value) }
            return holder?.identity == identity
        }
    }

    func release(identity: String) async throws {
        try await Task.sleep(for: .milliseconds(100))
        holderState.withLock { holder in
            if holder?.identity == identity { holder = nil }
        }
    }

    func holder() async throws -> (identity: String, value: String)? { holderState.withLock { $0 } }
    func fence(_ identity: String?) {}
    func echo(identity: String, value: String) async throws {}
    func members() async throws -> [(identity: String, value: String, lastEcho: Date)] { [] }
}

/// How many tasks are inside a section at once, and the most there ever were.
final class Occupancy: Sendable {
    private let counts = Mutex((now: 0, most: 0))
    func enter() { counts.withLock { $0.now += 1; $0.most = max($0.most, $0.now) } }
    func leave() { counts.withLock { $0.now -= 1 } }
    var most: Int { counts.withLock { $0.most } }
}

@Suite struct HATransitionTests {
    @Test func gateLetsOneTaskThroughAtATime() async {
        let gate = SerialGate()
        let inside = Occupancy()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    await gate.run {
                        inside.enter()
                        try? await Task.sleep(for: .milliseconds(5))
                        inside.leave()
                    }
                }
            }
        }
        #expect(inside.most == 1)
    }

    /// Initialising seals the node; the seal's release of the lock must not land after an
    /// unseal that followed at once has taken the lock again (the node would believe itself
    /// active while another node takes the lock).
    @Test func unsealRightAfterSealKeepsTheLock() async throws {
        let lock = SlowReleaseLock()
        let core = Core(physical: InMemoryBackend(), registry: BackendRegistry(), haLock: lock, apiAddress: "http://node-a")
        let result = try await core.initialize(shares: 1, threshold: 1)
        #expect(core.isSealed)
        try await core.submitUnsealKey(result.keys[0])
        guard case .active = core.haStatus else {
            Issue.record("the node did not take over: \(core.haStatus)")
            return
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await lock.holder()?.value == "http://node-a")
        let leader = await core.leaderAddress()
        #expect(leader?.isSelf == true)
        let mounts = try await core.handle(LogicalRequest(operation: .read, path: "sys/mounts", clientToken: result.rootToken))
        #expect(mounts.response?.data?["sys/"] != nil)
    }

    /// A step-down asked for while the node takes over waits for the take-over to finish,
    /// and then leaves a standby, never an "active" node without its mount table.
    @Test func stepDownDuringTakeOverLeavesAConsistentNode() async throws {
        let lock = SlowReleaseLock()
        let core = Core(physical: InMemoryBackend(), registry: BackendRegistry(), haLock: lock, apiAddress: "http://node-a")
        let result = try await core.initialize(shares: 1, threshold: 1)
        async let unsealed = core.submitUnsealKey(result.keys[0])
        core.fencedOut()
        _ = try await unsealed
        try await Task.sleep(for: .milliseconds(300))
        switch core.haStatus {
        case .active: #expect(!core.routes.routes.isEmpty)
        default: #expect(core.routes.routes.isEmpty)
        }
    }
}

import Foundation
import Testing
@_spi(Server) @testable import TresorCore

/// An error answer means no effect, outside Tresor too (issue 15, point 2).
@Suite struct RollbackTests {
    func records(_ core: Core) async throws -> [String] {
        try await core.barrier.list(prefix: RollbackEntry.prefix)
    }

    @Test func aCommittedEffectStandsAndLeavesNoRecord() async throws {
        let (core, root) = try await TestCore.makeWithMounts()
        let name = "kept-\(RandomUUID.string())"
        _ = try await TestCore.request(core, .update, "probe/effect/\(name)", token: root)
        #expect(OutsideWorld.contains(name))
        #expect(try await records(core).isEmpty)
    }

    @Test func aHandlerErrorAfterTheEffectUndoesIt() async throws {
        let (core, root) = try await TestCore.makeWithMounts()
        let name = "failed-\(RandomUUID.string())"
        await #expect(throws: TresorError.badRequest("failed after the effect")) {
            _ = try await TestCore.request(core, .update, "probe/effect/\(name)", token: root, data: ["fail": true])
        }
        #expect(!OutsideWorld.contains(name))
        #expect(try await records(core).isEmpty)
    }

    @Test func aResponseThatCannotBeAuditedUndoesTheEffect() async throws {
        let (core, root) = try await TestCore.makeWithMounts()
        core.audit.install(AuditBroker.Active(config: AuditDeviceConfig(path: "flaky/", type: "file"),
                                              device: FailsOnResponses(), salt: [1]))
        let name = "unaudited-\(RandomUUID.string())"
        await #expect(throws: Core.auditFailure) {
            _ = try await TestCore.request(core, .update, "probe/effect/\(name)", token: root)
        }
        #expect(!OutsideWorld.contains(name))
        _ = core.audit.remove("flaky/")
        #expect(try await records(core).isEmpty)
        let stored = try await TestCore.request(core, .read, "probe/has/effect%2F\(name)", token: root)
        #expect(stored.response?.data?["present"] != true)
    }

    @Test func aCrashBeforeTheCommitIsUndoneAfterTheRestart() async throws {
        let physical = InMemoryBackend()
        var registry = BackendRegistry()
        registry.register(BackendFactory(type: "probe", kind: .secret) { _, _ in ProbeBackend() })
        let first = Core(physical: physical, registry: registry)
        let (unsealKey, root) = try await first.initializeDev(rootTokenID: nil)
        _ = try await TestCore.request(first, .update, "sys/mounts/probe", token: root, data: ["type": "probe"])
        // The request records its effect and causes it, then the process dies: no commit, no discard.
        let name = "crashed-\(RandomUUID.string())"
        let mount = try #require(first.routes.mounts.first { $0.type == "probe" })
        let doomed = first.newTransaction()
        try await doomed.recordRollback(RollbackEntry(mountAccessor: mount.accessor, data: ["name": name], boot: doomed.boot))
        OutsideWorld.shared.withLock { _ = $0.insert(name) }
        first.seal()

        // The next run finds the record of a request that can no longer finish, and undoes it.
        let second = Core(physical: physical, registry: registry)
        try await second.submitUnsealKey(unsealKey)
        #expect(OutsideWorld.contains(name))
        await second.sweepRollbacks()
        #expect(!OutsideWorld.contains(name))
        #expect(try await records(second).isEmpty)
    }

    @Test func recordsOfThisRunAreLeftToTheirRequestsUntilTheyAreLost() async throws {
        let (core, _) = try await TestCore.makeWithMounts()
        let mount = try #require(core.routes.mounts.first { $0.type == "probe" })
        let name = "in-flight-\(RandomUUID.string())"
        let inFlight = core.newTransaction()
        try await inFlight.recordRollback(RollbackEntry(mountAccessor: mount.accessor, data: ["name": name], boot: inFlight.boot))
        OutsideWorld.shared.withLock { _ = $0.insert(name) }
        await core.sweepRollbacks()
        #expect(OutsideWorld.contains(name))
        await core.sweepRollbacks(now: Date().addingTimeInterval(Core.rollbackGraceInterval + 1))
        #expect(!OutsideWorld.contains(name))
    }
}

/// Records request entries and fails every response entry, as a disk that fills up between the two.
struct FailsOnResponses: AuditDevice {
    func write(_ lines: [[UInt8]]) async throws {
        if lines.contains(where: { String(decoding: $0, as: UTF8.self).contains("\"type\":\"response\"") }) {
            throw AuditError("disk full")
        }
    }
}

import Foundation
import Synchronization
import Testing
@_spi(Server) @testable import TresorCore
import TresorSecrets

/// `auto_rotate_period` rotates keys by the clock, in the core's periodic turn, and the key's
/// versions and settings live through the barrier.
@Suite struct TransitRotationTests {
    @Test func keysRotateWhenTheirPeriodHasPassed() async throws {
        let clock = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        var registry = BackendRegistry()
        SecretsEngines.register(into: &registry)
        let core = Core(physical: InMemoryBackend(), registry: registry, clock: { clock.withLock { $0 } })
        let (_, root) = try await core.initializeDev(rootTokenID: nil)
        func call(_ op: LogicalOperation, _ path: String, _ data: [String: JSONValue] = [:]) async throws -> [String: JSONValue]? {
            try await core.handle(LogicalRequest(operation: op, path: path, data: data, clientToken: root,
                                                 isWrite: op != .read && op != .list)).response?.data
        }
        _ = try await call(.update, "sys/mounts/transit", ["type": "transit"])
        _ = try await call(.update, "transit/keys/hourly", ["auto_rotate_period": "1h"])
        _ = try await call(.update, "transit/keys/manual", [:])
        #expect(try await call(.read, "transit/keys/hourly")?["auto_rotate_period"] == .int(3600))

        clock.withLock { $0 += 1800 }
        await core.runPeriodicFunctions()
        #expect(try await call(.read, "transit/keys/hourly")?["latest_version"] == .int(1), "not yet due")

        clock.withLock { $0 += 1801 }
        await core.runPeriodicFunctions()
        await core.runPeriodicFunctions()
        #expect(try await call(.read, "transit/keys/hourly")?["latest_version"] == .int(2), "rotated once, not twice")
        #expect(try await call(.read, "transit/keys/manual")?["latest_version"] == .int(1))

        clock.withLock { $0 += 3601 }
        await core.runPeriodicFunctions()
        #expect(try await call(.read, "transit/keys/hourly")?["latest_version"] == .int(3))

        let refused = await #expect(throws: TresorError.self) { try await call(.update, "transit/keys/hourly/config", ["auto_rotate_period": "10m"]) }
        #expect(refused?.messages == ["auto rotate period must be 0 to disable or at least an hour"])
    }
}

import Synchronization
import Testing
@testable import TresorHTTP

@Suite struct StartGateTests {
    private final class Count: Sendable {
        let value = Atomic<Int>(0)
    }

    @Test func holdsWaitersUntilOpenThenLetsEveryoneThrough() async {
        let gate = StartGate()
        let passed = Count()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    await gate.pass()
                    passed.value.add(1, ordering: .relaxed)
                }
            }
            // Give the waiters time to queue: none may pass while the gate is shut.
            try? await Task.sleep(for: .milliseconds(50))
            #expect(passed.value.load(ordering: .relaxed) == 0)
            gate.open()
        }
        #expect(passed.value.load(ordering: .relaxed) == 50)
        // Once open, passing does not wait.
        await gate.pass()
    }

    @Test func openingTwiceIsHarmless() async {
        let gate = StartGate()
        gate.open()
        gate.open()
        // Both a pass after the double open and one racing it go straight through.
        let passed = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<10 { group.addTask { await gate.pass(); return true } }
            group.addTask {
                gate.open()
                return true
            }
            var count = 0
            for await done in group where done { count += 1 }
            return count
        }
        #expect(passed == 11)
    }

    @Test func warmUpBuildsAndTearsDownAConnectionPipeline() {
        // On an in-memory channel, twice: the second finds everything cached and must still work.
        #expect(ListenerWarmUp.run(logger: .init(label: "test")))
        #expect(ListenerWarmUp.run(logger: .init(label: "test")))
    }
}

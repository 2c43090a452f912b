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
        await gate.pass()
    }

    @Test func warmUpBuildsAndTearsDownAConnectionPipeline() {
        // On an in-memory channel, twice: the second finds everything cached and must still work.
        #expect(ListenerWarmUp.run(logger: .init(label: "test")))
        #expect(ListenerWarmUp.run(logger: .init(label: "test")))
    }
}

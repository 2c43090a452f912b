import Synchronization

/// Lets one async task at a time through, in arrival order. For the rare transitions that must
/// not interleave across suspension points (an HA node taking over while another task steps it
/// down); never on the request path. Waiters are few, so a plain array is their queue.
final class SerialGate: Sendable {
    private struct State {
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    init() {}

    /// Runs `body` once every task that entered before it has left.
    func run<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        await enter()
        defer { leave() }
        return try await body()
    }

    private func enter() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { state -> Bool in
                if state.held {
                    state.waiters.append(waiter)
                    return false
                }
                state.held = true
                return true
            }
            if admitted { waiter.resume() }
        }
    }

    private func leave() {
        // The gate stays held when it passes straight to the next waiter.
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.held = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}

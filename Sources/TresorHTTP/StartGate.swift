import Synchronization

/// Holds requests until the server behind a listener is ready, so the listener can be bound
/// while the core still initialises. Opens once; after that, passing it is one atomic load.
public final class StartGate: Sendable {
    private let isOpen = Atomic<Bool>(false)
    /// Nil once open: a late waiter then resumes at once instead of queueing.
    private let waiters = Mutex<[CheckedContinuation<Void, Never>]?>([])

    public init() {}

    public func open() {
        let waiting = waiters.withLock { waiters in
            defer { waiters = nil }
            return waiters ?? []
        }
        isOpen.store(true, ordering: .releasing)
        for waiter in waiting { waiter.resume() }
    }

    public func pass() async {
        if isOpen.load(ordering: .acquiring) { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let queued = waiters.withLock { waiters -> Bool in
                guard waiters != nil else { return false }
                waiters!.append(continuation)
                return true
            }
            if !queued { continuation.resume() }
        }
    }
}

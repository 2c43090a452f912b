import NIOCore
import NIOPosix

enum EventLoops {
    /// An event loop other than the caller's, to run work beside it on another core (any loop
    /// on a single-core machine).
    static func other() -> any EventLoop {
        let group = MultiThreadedEventLoopGroup.singleton
        return group.makeIterator().first { !$0.inEventLoop } ?? group.next()
    }
}

extension EventLoop {
    /// Starts `body` as a task on this loop's thread. Jobs go to the loop they are enqueued
    /// from (`ConcurrencyOnEventLoops`), so the task stays here unless something it awaits
    /// resumes it elsewhere.
    func runTask(_ body: @escaping @Sendable () async throws -> Void) -> EventLoopFuture<Void> {
        let promise = makePromise(of: Void.self)
        execute {
            Task {
                do {
                    try await body()
                    promise.succeed()
                } catch {
                    promise.fail(error)
                }
            }
        }
        return promise.futureResult
    }
}

import CTresorRuntime
import NIOCore
import NIOPosix

/// Runs the server's Swift concurrency jobs on NIO's event loop threads: a request's handler then
/// runs on the thread that read it, with no hop to another pool and back.
///
/// NIO installs itself through the runtime's global-enqueue hook, which it looks up with dlsym.
/// A binary built with `--static-swift-stdlib` (the release build: it starts in half the time)
/// hides that symbol from dlsym, so the hook is set through a direct reference instead, with the
/// same job placement NIO uses: the current event loop when called on one, otherwise any. NIO's
/// own installer remains the fallback.
enum ConcurrencyOnEventLoops {
    private typealias EnqueueGlobalHook = @convention(thin) (UnownedJob, @convention(thin) (UnownedJob) -> Void) -> Void

    /// Must run before the first task reaches the global executor. Returns whether it took effect.
    static func install() -> Bool {
        if installInStaticRuntime() { return true }
        return NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    private static func installInStaticRuntime() -> Bool {
        withUnsafeTemporaryAllocation(of: EnqueueGlobalHook.self, capacity: 1) { slot in
            slot.baseAddress!.initialize(to: { job, _ in
                MultiThreadedEventLoopGroup.singleton.any().enqueue(ExecutorJob(job))
            })
            return slot.baseAddress!.withMemoryRebound(to: UnsafeRawPointer.self, capacity: 1) {
                tresor_install_static_enqueue_global_hook($0.pointee)
            }
        }
    }
}

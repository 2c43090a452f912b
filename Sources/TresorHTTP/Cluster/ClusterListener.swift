import Logging
import NIOSSL
import NIOCore
import ServiceLifecycle
import Synchronization
@_spi(Server) import TresorCore

/// The active node's cluster listener: opened at every take-over with a new cluster
/// certificate, closed when the node steps down or seals. Standbys forward their clients'
/// requests here; it answers only peers that present the cluster certificate.
@_spi(Server) public final class ClusterListener: ClusterRole {
    private let core: Core
    private let host: String
    private let port: Int
    private let maxRequestSize: Int
    private let jsonLimits: JSONLimits
    private let logger: Logger
    private let running = Mutex<(group: ServiceGroup, task: Task<Void, Never>)?>(nil)

    /// `host` and `port` are where it binds; the core's `clusterAddress` is what standbys dial.
    public init(core: Core, host: String, port: Int, maxRequestSize: Int, jsonLimits: JSONLimits, logger: Logger) {
        self.core = core
        self.host = host
        self.port = port
        self.maxRequestSize = maxRequestSize
        self.jsonLimits = jsonLimits
        self.logger = logger
    }

    public func becomingActive() async throws {
        await steppedDown()
        var record = try ClusterCertificate.make(apiAddress: core.apiAddress, clusterAddress: core.clusterAddress)
        do {
            try await start(tls: try ClusterCertificate.serverConfiguration(record))
        } catch {
            // Standbys then send their clients to this node's API address instead (307).
            logger.error("cannot open the cluster listener; standbys will redirect clients instead of forwarding",
                         metadata: ["address": "\(host):\(port)", "error": "\(error)"])
            record.clusterAddress = ""
        }
        try await core.publishClusterRecord(record)
    }

    public func steppedDown() async {
        guard let (group, task) = running.withLock({ current in defer { current = nil }; return current }) else { return }
        await group.triggerGracefulShutdown()
        // Requests in flight finish (their writes are fenced by now); a stuck one is not waited
        // for longer than this.
        let deadline = Task {
            try? await Task.sleep(for: .seconds(5))
            task.cancel()
        }
        await task.value
        deadline.cancel()
    }

    /// Binds the listener and returns once it listens, or throws why it cannot.
    private func start(tls: TLSConfiguration) async throws {
        let (bound, signal) = AsyncStream<Result<Void, any Error>>.makeStream()
        let server = try TresorHTTPServer.listener(core: core, host: host, port: port, tls: tls, maxRequestSize: maxRequestSize,
                                                  jsonLimits: jsonLimits, logger: logger, clusterListener: true) { _ in
            signal.yield(.success(()))
        }
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        let task = Task {
            do { try await group.run() } catch { signal.yield(.failure(error)) }
            signal.finish()
        }
        var outcome: Result<Void, any Error> = .failure(ClusterListenerStopped())
        for await first in bound {
            outcome = first
            break
        }
        if case .failure(let error) = outcome {
            task.cancel()
            throw error
        }
        running.withLock { $0 = (group, task) }
    }

    struct ClusterListenerStopped: Error, CustomStringConvertible {
        var description: String { "the cluster listener stopped before it listened" }
    }
}

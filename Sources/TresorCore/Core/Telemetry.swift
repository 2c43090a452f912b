import CoreMetrics
import Foundation

/// Vault's metric names (its telemetry reference), recorded through swift-metrics. Made on first
/// use: the server bootstraps swift-metrics before it builds a core, and where nothing was
/// bootstrapped (unit tests) they cost a no-op call.
enum Telemetry {
    static let handleRequest = CoreMetrics.Timer(label: "vault.core.handle_request")
    static let handleLoginRequest = CoreMetrics.Timer(label: "vault.core.handle_login_request")
    static let barrierGet = CoreMetrics.Timer(label: "vault.barrier.get")
    static let barrierPut = CoreMetrics.Timer(label: "vault.barrier.put")
    static let barrierDelete = CoreMetrics.Timer(label: "vault.barrier.delete")
    static let barrierList = CoreMetrics.Timer(label: "vault.barrier.list")
    static let tokenCreate = CoreMetrics.Timer(label: "vault.token.create")
    static let tokenLookup = CoreMetrics.Timer(label: "vault.token.lookup")
    static let tokenRevoke = CoreMetrics.Timer(label: "vault.token.revoke")
    static let expireRevoke = CoreMetrics.Timer(label: "vault.expire.revoke")
    static let auditRequest = CoreMetrics.Timer(label: "vault.audit.log_request")
    static let auditResponse = CoreMetrics.Timer(label: "vault.audit.log_response")
    static let auditRequestFailure = CoreMetrics.Counter(label: "vault.audit.log_request_failure")
    static let auditResponseFailure = CoreMetrics.Counter(label: "vault.audit.log_response_failure")
    /// Tresor's own: how often the barrier's cache of decrypted values answered.
    static let cacheHit = CoreMetrics.Counter(label: "tresor.barrier.cache_hit")
    static let cacheMiss = CoreMetrics.Counter(label: "tresor.barrier.cache_miss")

    /// Counters Vault reports from the start, at zero until something happens.
    static func preregister() {
        for counter in [auditRequestFailure, auditResponseFailure, cacheHit, cacheMiss] { counter.increment(by: 0) }
    }

    /// A monotonic start for `record(_:since:)`.
    @inline(__always) static func start() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    @inline(__always) static func record(_ timer: CoreMetrics.Timer, since start: UInt64) {
        timer.recordNanoseconds(Int64(truncatingIfNeeded: DispatchTime.now().uptimeNanoseconds &- start))
    }
}

/// A route's timers, `vault.route.<operation>.<mount path with "-" for "/">`, made once per
/// route.
@_spi(Server) public final class RouteTimers: Sendable {
    private let timers: [CoreMetrics.Timer]

    init(mountPath: String) {
        let mount = String(mountPath.map { $0 == "/" ? "-" : $0 })
        timers = ["read", "create", "update", "delete", "list", "patch"].map { CoreMetrics.Timer(label: "vault.route.\($0).\(mount)") }
    }

    func timer(for operation: LogicalOperation) -> CoreMetrics.Timer? {
        switch operation {
        case .read: timers[0]
        case .create: timers[1]
        case .update: timers[2]
        case .delete: timers[3]
        case .list: timers[4]
        case .patch: timers[5]
        default: nil
        }
    }
}

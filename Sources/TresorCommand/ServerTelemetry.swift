import CoreMetrics
import Foundation
import TresorMetrics

/// Starts Vault's telemetry for this process: swift-metrics records into `VaultMetrics.shared`,
/// which `sys/metrics` renders. Once per process, before any core is built.
/// TRESOR_DISABLE_METRICS=1 leaves swift-metrics without a backend: only `scripts/bench.sh` uses
/// it, to measure what recording costs.
enum ServerTelemetry {
    struct Settings: Sendable, Equatable {
        /// Vault's `prometheus_retention_time` (default 24 h; 0 turns the Prometheus format off).
        var prometheusRetention: TimeInterval = 24 * 3600
        /// Vault's `disable_hostname`. Metric names never carry the host name here, whatever it
        /// says, as OpenBao writes them (dashboards match on bare names).
        var disableHostname = false
    }

    static func start(_ settings: Settings) {
        VaultMetrics.shared.settings.prometheusRetention = settings.prometheusRetention
        guard ProcessInfo.processInfo.environment["TRESOR_DISABLE_METRICS"] != "1" else { return }
        MetricsSystem.bootstrap(VaultMetrics.shared.factory)
    }
}

import CoreMetrics
import Foundation
import TresorMetrics
import Synchronization

/// `sys/metrics`: Vault's telemetry, in Prometheus text (`?format=prometheus`) or go-metrics'
/// JSON. Gauges that count what is stored are read at scrape time (a range count in the store,
/// not the records), at most every ten seconds.
extension SystemBackend {
    static func metricsPaths(_ core: Core) -> [PathSpec] {
        [
            PathSpec("metrics", fields: [FieldSpec("format", .string)], handlers: [
                .read: { _, fields in
                    let format = try fields.string("format")
                    guard format.isEmpty || format == "prometheus" else {
                        throw TresorError.badRequest("metric response format \"\(format)\" unknown")
                    }
                    await core.collectGauges()
                    if format == "prometheus" {
                        guard VaultMetrics.shared.settings.prometheusRetention > 0 else {
                            throw TresorError.badRequest("prometheus is not enabled")
                        }
                        return .bytes(VaultMetrics.shared.prometheusText(), contentType: "text/plain; version=0.0.4; charset=utf-8")
                    }
                    return .raw(status: 200, body: VaultMetrics.shared.json())
                },
            ]),
        ]
    }
}

extension Core {
    /// Sets the gauges Vault's dashboards read: seal and HA state, requests in flight, and the
    /// counts of leases, tokens and KV secrets.
    func collectGauges() async {
        let cluster = [("cluster", clusterName)]
        CoreMetrics.Gauge(label: "vault.core.unsealed", dimensions: cluster).record(isSealed ? 0 : 1)
        CoreMetrics.Gauge(label: "vault.core.active", dimensions: cluster).record(!isSealed && haStatus != .standby ? 1 : 0)
        CoreMetrics.Gauge(label: "vault.core.in_flight_requests", dimensions: cluster).record(Int64(inFlight.count))
        for (path, lines) in audit.chainLengths {
            CoreMetrics.Gauge(label: "tresor.audit.chain_length", dimensions: [("path", path)]).record(Int64(lines))
        }
        guard !isSealed, gaugeCounts.due(now: clock()) else { return }
        do {
            CoreMetrics.Gauge(label: "vault.expire.num_leases").record(Int64(try await barrier.count(prefix: Self.leasePrefix)))
            CoreMetrics.Gauge(label: "vault.expire.num_irrevocable_leases").record(Int64(try await barrier.count(prefix: Self.irrevocablePrefix)))
            CoreMetrics.Gauge(label: "vault.token.count").record(Int64(try await barrier.count(prefix: TokenStore.idPrefix)))
            for route in routes.routes where route.mount.type == "kv" {
                let version2 = route.mount.options["version"] == "2"
                let secrets = try await barrier.count(prefix: route.mount.storagePrefix + (version2 ? "metadata/" : ""))
                CoreMetrics.Gauge(label: "vault.secret.kv.count", dimensions: [("mount_point", route.mount.routePath), ("namespace", "root")])
                    .record(Int64(secrets))
            }
        } catch {
            logger.debug("metrics gauges not collected", metadata: ["error": "\(error)"])
        }
    }
}

/// At most one round of storage counts per interval, however often scrapers ask.
final class GaugeSchedule: Sendable {
    private let last = Mutex<Date?>(nil)
    let interval: TimeInterval

    init(interval: TimeInterval = 10) { self.interval = interval }

    func due(now: Date) -> Bool {
        last.withLock { last in
            if let previous = last, now.timeIntervalSince(previous) < interval, now >= previous { return false }
            last = now
            return true
        }
    }
}

import CoreMetrics
import Foundation
import Testing
import TresorJSON
@testable import TresorMetrics

/// Vault's telemetry shapes from swift-metrics calls: summaries with quantiles in milliseconds,
/// counters and gauges through swift-prometheus, and the JSON form.
@Suite struct VaultMetricsTests {
    @Test func summaryQuantilesSumAndCount() {
        let summary = Summary(name: "vault_core_handle_request", dotted: "vault.core.handle_request", labels: [])
        for ms in 1...100 { summary.recordNanoseconds(Int64(ms) * 1_000_000) }
        let snap = summary.snapshot()
        #expect(snap.count == 100 && snap.sum == 5050 && snap.min == 1 && snap.max == 100)
        #expect(snap.quantiles.map(\.1) == [50, 90, 99])
        let empty = Summary(name: "x", dotted: "x", labels: []).snapshot()
        #expect(empty.quantiles.allSatisfy { $0.1.isNaN } && empty.count == 0)
    }

    @Test func aFullWindowKeepsABoundedSample() {
        let summary = Summary(name: "s", dotted: "s", labels: [])
        for n in 0..<50_000 { summary.recordNanoseconds(Int64(n % 1000) * 1_000_000) }
        let snap = summary.snapshot()
        #expect(snap.count == 50_000)
        // The median of a uniform 0…999 ms spread, from a 1,024-sample reservoir.
        #expect(abs(snap.quantiles[0].1 - 500) < 80)
    }

    @Test func prometheusTextHasVaultsNamesAndEscapesLabels() throws {
        let metrics = VaultMetrics()
        let factory = metrics.factory
        factory.makeTimer(label: "vault.route.create.secret_", dimensions: []).recordNanoseconds(2_000_000)
        factory.makeCounter(label: "vault.audit.log_request_failure", dimensions: []).increment(by: 2)
        factory.makeRecorder(label: "vault.core.unsealed", dimensions: [("cluster", "a\"b\\c\nd")], aggregate: false).record(Int64(1))
        let text = String(decoding: metrics.prometheusText(), as: UTF8.self)
        #expect(text.contains("# TYPE vault_route_create_secret_ summary\n"))
        #expect(text.contains("vault_route_create_secret_{quantile=\"0.5\"} 2.0\n"))
        #expect(text.contains("vault_route_create_secret__count 1\n"))
        #expect(text.contains("vault_audit_log_request_failure 2"))
        #expect(text.contains("vault_core_unsealed{cluster=\"a\\\"b\\\\c\\nd\"} 1"))
        let json = try #require(metrics.json().objectValue)
        let sample = try #require(json["Samples"]?.arrayValue?.first?.objectValue)
        #expect(sample["Name"] == "vault.route.create.secret_" && sample["Count"] == 1)
        #expect(json["Counters"]?.arrayValue?.first?.objectValue?["Count"] == 2)
        #expect(json["Gauges"]?.arrayValue?.first?.objectValue?["Value"] == JSONValue.double(1))
    }

    @Test func theSameNameAndLabelsIsOneMetric() {
        let metrics = VaultMetrics()
        let a = metrics.factory.makeTimer(label: "vault.barrier.get", dimensions: [])
        let b = metrics.factory.makeTimer(label: "vault.barrier.get", dimensions: [])
        #expect(a === b)
    }
}

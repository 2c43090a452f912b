import CoreMetrics
import Foundation
import Prometheus
import Synchronization
import TresorJSON

/// Every metric of this process under Vault's names, rendered as `sys/metrics` answers: the
/// Prometheus text format (counters and gauges by swift-prometheus, timers as summaries, see
/// `Summary`) or Vault's JSON form. Process-wide, as Vault's go-metrics sink is; the server
/// bootstraps swift-metrics with `factory`, and code anywhere records through swift-metrics.
public final class VaultMetrics: Sendable {
    public static let shared = VaultMetrics()

    /// The `telemetry` stanza's settings that change what is served.
    public struct Settings: Sendable {
        /// 0 turns the Prometheus format off, as in Vault.
        public var prometheusRetention: TimeInterval = 24 * 3600
        public init() {}
    }

    let registry = PrometheusCollectorRegistry()
    private let summaries = Mutex<[String: Summary]>([:])
    private let counters = Mutex<[String: CountingCounter]>([:])
    private let gauges = Mutex<[String: ValueGauge]>([:])
    private let settingsState = Mutex(Settings())

    public init() {}

    public var settings: Settings {
        get { settingsState.withLock { $0 } }
        set { settingsState.withLock { $0 = newValue } }
    }

    public var factory: any MetricsFactory { VaultMetricsFactory(metrics: self) }

    /// Vault's dotted names ("vault.core.handle_request") as Prometheus names.
    static func prometheusName(_ label: String) -> String {
        String(label.map { $0 == "." || $0 == "-" || $0 == "/" || $0 == " " ? "_" : $0 })
    }

    static func key(_ name: String, _ labels: [(String, String)]) -> String {
        ([name] + labels.map { "\($0.0)=\($0.1)" }).joined(separator: "\u{1}")
    }

    func summary(_ label: String, _ dimensions: [(String, String)]) -> Summary {
        Self.existing(in: summaries, label, dimensions) { name in Summary(name: name, dotted: label, labels: dimensions) }
    }

    func counter(_ label: String, _ dimensions: [(String, String)]) -> CountingCounter {
        Self.existing(in: counters, label, dimensions) { [registry] name in
            CountingCounter(label: label, labels: dimensions, prometheus: registry.makeCounter(descriptor: Self.descriptor(name), labels: dimensions))
        }
    }

    func gauge(_ label: String, _ dimensions: [(String, String)]) -> ValueGauge {
        Self.existing(in: gauges, label, dimensions) { [registry] name in
            ValueGauge(label: label, labels: dimensions, prometheus: registry.makeGauge(descriptor: Self.descriptor(name), labels: dimensions))
        }
    }

    /// Vault's help text is the metric's own name.
    private static func descriptor(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: name)
    }

    /// The metric with this name and labels, made on first use: one name and label set is one metric.
    private static func existing<Metric: Sendable>(in map: borrowing Mutex<[String: Metric]>, _ label: String, _ dimensions: [(String, String)],
                                         make: (String) -> Metric) -> Metric {
        let name = prometheusName(label)
        let key = key(name, dimensions)
        return map.withLock { metrics in
            if let found = metrics[key] { return found }
            let made = make(name)
            metrics[key] = made
            return made
        }
    }

    // MARK: rendering

    /// The Prometheus text exposition format (version 0.0.4).
    public func prometheusText() -> [UInt8] {
        var out = registry.emitToBuffer()
        let byName = Dictionary(grouping: summaries.withLock { Array($0.values) }, by: \.name)
        for name in byName.keys.sorted() {
            out.append(contentsOf: Array("# TYPE \(name) summary\n".utf8))
            for summary in byName[name]!.sorted(by: { Self.key($0.name, $0.labels) < Self.key($1.name, $1.labels) }) {
                let snapshot = summary.snapshot()
                for (q, value) in snapshot.quantiles {
                    let labels = Self.labelText(summary.labels + [("quantile", Self.number(q))])
                    out.append(contentsOf: Array("\(name)\(labels) \(Self.number(value))\n".utf8))
                }
                let labels = Self.labelText(summary.labels)
                out.append(contentsOf: Array("\(name)_sum\(labels) \(Self.number(snapshot.sum))\n".utf8))
                out.append(contentsOf: Array("\(name)_count\(labels) \(snapshot.count)\n".utf8))
            }
        }
        return out
    }

    /// Vault's JSON form (go-metrics' in-memory sink): gauges, counters and timer samples.
    public func json(now: Date = Date()) -> JSONValue {
        func labels(_ pairs: [(String, String)]) -> JSONValue {
            .object(Dictionary(pairs.map { ($0.0, JSONValue.string($0.1)) }, uniquingKeysWith: { $1 }))
        }
        let gaugeList = gauges.withLock { Array($0.values) }.sorted { $0.label < $1.label }.map { g -> JSONValue in
            .object(["Name": .string(g.label), "Value": .double(g.value), "Labels": labels(g.labels)])
        }
        let counterList = counters.withLock { Array($0.values) }.sorted { $0.label < $1.label }.map { c -> JSONValue in
            let total = Double(c.total)
            return .object(["Name": .string(c.label), "Count": .int(c.total), "Rate": .double(0), "Sum": .double(total),
                            "Min": .double(1), "Max": .double(1), "Mean": .double(1), "Stddev": .double(0), "Labels": labels(c.labels)])
        }
        let sampleList = summaries.withLock { Array($0.values) }.sorted { $0.name < $1.name }.map { s -> JSONValue in
            let snap = s.snapshot()
            let n = Double(max(snap.count, 1))
            let mean = snap.sum / n
            let variance = max(0, snap.sumOfSquares / n - mean * mean)
            return .object(["Name": .string(s.dotted), "Count": .int(snap.count), "Rate": .double(0), "Sum": .double(snap.sum),
                            "Min": .double(snap.min), "Max": .double(snap.max), "Mean": .double(mean),
                            "Stddev": .double(variance.squareRoot()), "Labels": labels(s.labels)])
        }
        let formatter = ISO8601DateFormatter()
        return .object(["Timestamp": .string(formatter.string(from: now)), "Gauges": .array(gaugeList), "Points": .array([]),
                        "Counters": .array(counterList), "Samples": .array(sampleList)])
    }

    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        return "\(value)"
    }

    static func labelText(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        let parts = labels.map { name, value -> String in
            var escaped = ""
            for ch in value {
                switch ch {
                case "\\": escaped += "\\\\"
                case "\"": escaped += "\\\""
                case "\n": escaped += "\\n"
                default: escaped.append(ch)
                }
            }
            return "\(name)=\"\(escaped)\""
        }
        return "{" + parts.joined(separator: ",") + "}"
    }
}

/// A swift-prometheus counter that also keeps its total for the JSON form.
final class CountingCounter: CounterHandler, Sendable {
    let label: String
    let labels: [(String, String)]
    private let prometheus: Prometheus.Counter
    private let count = Atomic<Int64>(0)

    init(label: String, labels: [(String, String)], prometheus: Prometheus.Counter) {
        self.label = label
        self.labels = labels
        self.prometheus = prometheus
    }

    var total: Int64 { count.load(ordering: .relaxed) }

    func increment(by amount: Int64) {
        count.add(amount, ordering: .relaxed)
        prometheus.increment(by: amount)
    }

    func reset() {
        count.store(0, ordering: .relaxed)
        prometheus.reset()
    }
}

/// A swift-prometheus gauge that also keeps its value for the JSON form.
final class ValueGauge: RecorderHandler, MeterHandler, Sendable {
    let label: String
    let labels: [(String, String)]
    private let prometheus: Prometheus.Gauge
    private let bits = Atomic<UInt64>(0)

    init(label: String, labels: [(String, String)], prometheus: Prometheus.Gauge) {
        self.label = label
        self.labels = labels
        self.prometheus = prometheus
    }

    var value: Double { Double(bitPattern: bits.load(ordering: .relaxed)) }

    func record(_ value: Int64) { set(Double(value)) }
    func record(_ value: Double) { set(value) }
    func set(_ value: Int64) { set(Double(value)) }
    func set(_ value: Double) {
        bits.store(value.bitPattern, ordering: .relaxed)
        prometheus.set(value)
    }
    func increment(by amount: Double) { set(value + amount) }
    func decrement(by amount: Double) { set(value - amount) }
}

/// What swift-metrics calls to make a metric: counters and gauges from swift-prometheus,
/// timers as summaries.
struct VaultMetricsFactory: MetricsFactory {
    let metrics: VaultMetrics

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { metrics.counter(label, dimensions) }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        metrics.gauge(label, dimensions)
    }
    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler { metrics.gauge(label, dimensions) }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { metrics.summary(label, dimensions) }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}

import CoreMetrics
import Foundation
import Synchronization

/// A timer as Vault's telemetry reports it: a Prometheus summary in milliseconds with the 0.5,
/// 0.9 and 0.99 quantiles of the last window (NaN when the window saw nothing), and the running
/// sum and count. swift-prometheus has histograms only, and Vault's dashboards read quantiles.
///
/// Quantiles come from a bounded sample of the current and the previous window (`window`
/// seconds each), so memory stays flat whatever the request rate.
final class Summary: TimerHandler, Sendable {
    struct Snapshot: Sendable {
        var quantiles: [(Double, Double)]
        var count: Int64
        var sum: Double
        var min: Double
        var max: Double
        var sumOfSquares: Double
    }

    private struct State {
        var current: [Double] = []
        var previous: [Double] = []
        var seenInWindow = 0
        var windowStart: UInt64
        var count: Int64 = 0
        var sum = 0.0
        var min = Double.infinity
        var max = -Double.infinity
        var sumOfSquares = 0.0
        /// A cheap generator for the reservoir: which sample a full window replaces.
        var random: UInt64 = 0x9E37_79B9_7F4A_7C15
    }

    static let objectives = [0.5, 0.9, 0.99]
    /// Samples kept per window.
    static let reservoir = 1024

    let name: String
    /// The dotted name the JSON form shows ("vault.core.handle_request").
    let dotted: String
    let labels: [(String, String)]
    private let windowNanos: UInt64
    private let state: Mutex<State>

    init(name: String, dotted: String, labels: [(String, String)], window: TimeInterval = 10) {
        self.name = name
        self.dotted = dotted
        self.labels = labels
        windowNanos = UInt64(window * 1e9)
        state = Mutex(State(windowStart: Self.now()))
    }

    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    func recordNanoseconds(_ duration: Int64) {
        let ms = Double(max(0, duration)) / 1e6
        let now = Self.now()
        state.withLock { s in
            rotate(&s, now: now)
            s.count += 1
            s.sum += ms
            s.sumOfSquares += ms * ms
            if ms < s.min { s.min = ms }
            if ms > s.max { s.max = ms }
            s.seenInWindow += 1
            if s.current.count < Self.reservoir {
                s.current.append(ms)
            } else {
                // Reservoir sampling: each sample of the window has the same chance to stay.
                s.random = s.random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let slot = Int((s.random >> 33) % UInt64(s.seenInWindow))
                if slot < Self.reservoir { s.current[slot] = ms }
            }
        }
    }

    private func rotate(_ s: inout State, now: UInt64) {
        guard now &- s.windowStart >= windowNanos else { return }
        // A gap longer than two windows leaves nothing recent.
        s.previous = now &- s.windowStart >= 2 * windowNanos ? [] : s.current
        s.current = []
        s.seenInWindow = 0
        s.windowStart = now
    }

    func snapshot() -> Snapshot {
        let now = Self.now()
        return state.withLock { s in
            rotate(&s, now: now)
            let recent = (s.current + s.previous).sorted()
            let quantiles = Self.objectives.map { q -> (Double, Double) in
                guard !recent.isEmpty else { return (q, .nan) }
                let index = Swift.min(recent.count - 1, Int((q * Double(recent.count)).rounded(.up)) - 1)
                return (q, recent[Swift.max(0, index)])
            }
            return Snapshot(quantiles: quantiles, count: s.count, sum: s.sum, min: s.count > 0 ? s.min : 0,
                            max: s.count > 0 ? s.max : 0, sumOfSquares: s.sumOfSquares)
        }
    }

    func preferDisplayUnit(_ unit: TimeUnit) {}
}

/// Durations as Vault's configs write them: Go's `1h30m`, `250ms`, `1.5s`, or a plain number of
/// seconds.
enum GoDuration {
    static let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]

    /// nil for anything else, including negative and absurdly long values.
    static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 64 else { return nil }
        if let seconds = Double(trimmed), seconds.isFinite {
            guard seconds >= 0, seconds < 1e10 else { return nil }
            return .milliseconds(Int64((seconds * 1000).rounded()))
        }
        var rest = Substring(trimmed)
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !$0.isNumber && $0 != "." }
            guard let unit = units.first(where: { $0.0 == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            total += value * unit.1
        }
        guard total.isFinite, total < 1e10 else { return nil }
        return .nanoseconds(Int64((total * 1e9).rounded()))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

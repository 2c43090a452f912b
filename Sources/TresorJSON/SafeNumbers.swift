/// Conversions from client-supplied doubles that never trap: JSON numbers can be anything,
/// `Int64(someDouble)` traps outside its range.
public enum SafeNumbers {
    /// The whole number a double holds, or nil if it has a fraction or does not fit.
    public static func int64(_ value: Double) -> Int64? {
        guard value.isFinite, value == value.rounded(), abs(value) < 9.0e18 else { return nil }
        return Int64(value)
    }

    /// Durations beyond this (about 317 years) are refused: they only serve to overflow dates.
    public static let maxDurationSeconds: Int64 = 10_000_000_000

    /// Whole seconds from `now` until `date`, clamped so that it always fits.
    public static func seconds(until date: Double) -> Int64 {
        guard date.isFinite else { return date > 0 ? maxDurationSeconds : 0 }
        return Int64(max(-Double(maxDurationSeconds), min(Double(maxDurationSeconds), date)))
    }
}

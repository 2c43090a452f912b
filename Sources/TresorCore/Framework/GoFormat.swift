import Foundation

/// Formats that Vault clients expect because Vault is written in Go.
public enum GoFormat {
    /// Go's time.Duration String(): "0s", "30s", "1m30s", "1h0m0s".
    public static func duration(_ seconds: Int64) -> String {
        if seconds == 0 { return "0s" }
        var rest = abs(seconds)
        let sign = seconds < 0 ? "-" : ""
        let hours = rest / 3600
        rest %= 3600
        let minutes = rest / 60
        let secs = rest % 60
        if hours > 0 { return "\(sign)\(hours)h\(minutes)m\(secs)s" }
        if minutes > 0 { return "\(sign)\(minutes)m\(secs)s" }
        return "\(sign)\(secs)s"
    }

    /// RFC 3339 with nanoseconds and trailing zeros trimmed, in UTC: Go's time.RFC3339Nano.
    public static func time(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = Int64(interval.rounded(.down))
        var nanos = Int64(((interval - Double(seconds)) * 1e9).rounded())
        if nanos >= 1_000_000_000 { seconds += 1; nanos -= 1_000_000_000 }
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        var text = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                          Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        if nanos > 0 {
            var fraction = String(format: "%09lld", nanos)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        return text + "Z"
    }
}

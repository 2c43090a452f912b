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

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
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
        // Built by hand: String(format:) is a varargs formatter, too slow for every KV read.
        var text = pad(Int(parts.tm_year) + 1900, 4) + "-" + pad(Int(parts.tm_mon) + 1, 2) + "-" + pad(Int(parts.tm_mday), 2)
        text += "T" + pad(Int(parts.tm_hour), 2) + ":" + pad(Int(parts.tm_min), 2) + ":" + pad(Int(parts.tm_sec), 2)
        if nanos > 0 {
            var fraction = pad(Int(nanos), 9)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        return text + "Z"
    }
}

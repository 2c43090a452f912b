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
        // Written digit by digit into one buffer: this runs for every KV read and audit entry,
        // and String(format:) or concatenated pieces allocate a string per field.
        let year = Int(parts.tm_year) + 1900
        // Room for any year gmtime can return (sign and ten digits) and the rest.
        return String(unsafeUninitializedCapacity: 40) { buffer in
            var out = ASCIIWriter(buffer)
            // As Go writes years: a sign when negative, at least four digits.
            if year < 0 { out.text("-") }
            let magnitude = year.magnitude
            if magnitude <= 9999 {
                out.digits(Int(magnitude), 4)
            } else {
                for character in String(magnitude).utf8 { out.append(character) }
            }
            out.text("-"); out.digits(Int(parts.tm_mon) + 1, 2); out.text("-")
            out.digits(Int(parts.tm_mday), 2); out.text("T"); out.digits(Int(parts.tm_hour), 2); out.text(":")
            out.digits(Int(parts.tm_min), 2); out.text(":"); out.digits(Int(parts.tm_sec), 2)
            if nanos > 0 {
                out.text(".")
                out.digits(Int(nanos), 9)
                while out.last == UInt8(ascii: "0") { out.dropLast() }
            }
            out.text("Z")
            return out.count
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The `Date` response header in RFC 9110's IMF-fixdate form, "Sun, 06 Nov 1994 08:49:37 GMT".
/// Formatted from `gmtime_r` per response: a few dozen nanoseconds, where Foundation's date
/// styles cost a calendar set-up at start-up and a background service refreshing a cache.
public enum HTTPDate {
    private static let weekdays: [StaticString] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months: [StaticString] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func now() -> String { string(epochSeconds: Int(time(nil))) }

    /// Years outside 0...9999 cannot be written in the fixed form; they are clamped, which no
    /// clock of this century reaches.
    public static func string(epochSeconds: Int) -> String {
        var seconds = time_t(epochSeconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let year = min(max(Int(parts.tm_year) + 1900, 0), 9999)
        return String(unsafeUninitializedCapacity: 29) { buffer in
            var out = ASCIIWriter(buffer)
            out.text(weekdays[Int(parts.tm_wday)]); out.text(", ")
            out.digits(Int(parts.tm_mday), 2); out.text(" ")
            out.text(months[Int(parts.tm_mon)]); out.text(" ")
            out.digits(year, 4); out.text(" ")
            out.digits(Int(parts.tm_hour), 2); out.text(":")
            out.digits(Int(parts.tm_min), 2); out.text(":")
            out.digits(Int(parts.tm_sec), 2); out.text(" GMT")
            return out.count
        }
    }
}

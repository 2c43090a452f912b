/// Parses Vault's duration inputs: plain seconds ("300", 300) or Go durations ("1h", "1h30m",
/// "1.5h", "500ms", "2d" is not Go but Vault accepts "d" too).
public enum DurationParser {
    public static func seconds(_ value: JSONValue) -> Int64? {
        switch value {
        case .int(let i): return abs(i) <= SafeNumbers.maxDurationSeconds ? i : nil
        case .double(let d): return SafeNumbers.int64(d.rounded(.down)).flatMap { abs($0) <= SafeNumbers.maxDurationSeconds ? $0 : nil }
        case .string(let s): return seconds(s)
        case .null: return 0
        default: return nil
        }
    }

    public static func seconds(_ text: String) -> Int64? {
        let s = text.trimmingCharacters(in: .whitespaces)
        if s.isEmpty { return 0 }
        if let plain = Int64(s) { return abs(plain) <= SafeNumbers.maxDurationSeconds ? plain : nil }
        var total: Double = 0
        var number = ""
        var unit = ""
        var sawAny = false
        func flush() -> Bool {
            guard let value = Double(number), !unit.isEmpty else { return false }
            let factor: Double
            switch unit {
            case "ns": factor = 1e-9
            case "us", "µs": factor = 1e-6
            case "ms": factor = 1e-3
            case "s": factor = 1
            case "m": factor = 60
            case "h": factor = 3600
            case "d": factor = 86400
            default: return false
            }
            total += value * factor
            number = ""
            unit = ""
            sawAny = true
            return true
        }
        var body = Substring(s)
        var negative = false
        if body.hasPrefix("-") { negative = true; body = body.dropFirst() }
        for c in body {
            if c.isNumber || c == "." {
                if !unit.isEmpty { guard flush() else { return nil } }
                number.append(c)
            } else if c.isLetter {
                guard !number.isEmpty else { return nil }
                unit.append(c)
            } else {
                return nil
            }
        }
        guard flush(), sawAny, total <= Double(SafeNumbers.maxDurationSeconds) else { return nil }
        return Int64(negative ? -total : total)
    }
}

import Foundation

import Foundation

/// Go's `strconv.ParseBool`, which vault-k8s uses for every boolean annotation. An empty value
/// reads as false there, and here too.
enum GoBool {
    static func parse(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": true
        case "0", "f", "F", "FALSE", "false", "False", "": false
        default: nil
        }
    }
}

/// Go's `time.ParseDuration` grammar: `300ms`, `1.5h`, `2h45m`; a bare `0` too.
enum GoDurationText {
    static func isValid(_ text: String) -> Bool {
        var rest = Substring(text)
        if rest.first == "+" || rest.first == "-" { rest = rest.dropFirst() }
        if rest == "0" { return true }
        guard !rest.isEmpty else { return false }
        let units = ["ns", "us", "µs", "μs", "ms", "s", "m", "h"]
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", number.filter({ $0 == "." }).count <= 1 else { return false }
            rest = rest.dropFirst(number.count)
            // Longest unit first: "ms" before "m".
            guard let unit = units.sorted(by: { $0.count > $1.count }).first(where: { rest.hasPrefix($0) }) else { return false }
            rest = rest.dropFirst(unit.count)
        }
        return true
    }
}

/// A Kubernetes resource quantity (`250m`, `64Mi`, `1.5`, `1e3`), checked against the grammar
/// the API server enforces, so a bad value is refused at admission instead of failing the pod.
enum Quantity {
    static func isValid(_ text: String) -> Bool {
        guard !text.isEmpty, text.count <= 64 else { return false }
        var rest = Substring(text)
        if rest.first == "+" || rest.first == "-" { rest = rest.dropFirst() }
        let digits = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        guard !digits.isEmpty, digits != ".", digits.filter({ $0 == "." }).count <= 1 else { return false }
        rest = rest.dropFirst(digits.count)
        let suffixes = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "", "k", "M", "G", "T", "P", "E"]
        if suffixes.contains(String(rest)) { return true }
        // Decimal exponent: e3, E-2.
        guard rest.first == "e" || rest.first == "E" else { return false }
        rest = rest.dropFirst()
        if rest.first == "+" || rest.first == "-" { rest = rest.dropFirst() }
        return !rest.isEmpty && rest.allSatisfy { $0.isASCII && $0.isNumber }
    }
}

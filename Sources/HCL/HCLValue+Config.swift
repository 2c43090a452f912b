extension HCLValue {
    /// The value where a configuration expects a string: Vault's configs also take numbers and
    /// bools there (`port = 8200`, `tls_disable = true`). nil for lists, objects and null.
    public var configString: String? {
        switch self {
        case .string(let s): return s
        case .number(let n): return n == n.rounded() && abs(n) < 9.0e15 ? String(Int64(n)) : String(n)
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }

    /// The value where a configuration expects a bool, read as Vault reads one: a bool, a number
    /// (not zero is true), or the strings true/false, 1/0, t/f and "". nil for anything else.
    public var configBool: Bool? {
        switch self {
        case .bool(let b): return b
        case .number(let n): return n != 0
        case .string(let s):
            switch s.lowercased() {
            case "true", "1", "t": return true
            case "false", "0", "f", "": return false
            default: return nil
            }
        default: return nil
        }
    }
}

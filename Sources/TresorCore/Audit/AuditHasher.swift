import Crypto
import Foundation

/// HMACs the sensitive values of an audit entry with a salt of the device's own, so the log can
/// be shipped anywhere and still searched: `sys/audit-hash` hashes a known value the same way.
public struct AuditHasher: Sendable {
    let key: SymmetricKey
    /// `log_raw`: write values as they are (for debugging, never for production).
    let raw: Bool

    public init(salt: [UInt8], raw: Bool = false) {
        key = SymmetricKey(data: salt)
        self.raw = raw
    }

    public func hash(_ value: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(value.utf8), using: key)
        return "hmac-sha256:" + mac.hexString
    }

    public func maybeHash(_ value: String) -> String {
        raw || value.isEmpty ? value : hash(value)
    }

    /// Every string in the structure becomes its HMAC, except under keys listed as not secret.
    public func hashStrings(_ value: JSONValue, except: Set<String> = []) -> JSONValue {
        if raw { return value }
        switch value {
        case .string(let s): return .string(hash(s))
        case .array(let items): return .array(items.map { hashStrings($0, except: except) })
        case .object(let map):
            var out: [String: JSONValue] = [:]
            for (k, v) in map { out[k] = except.contains(k) ? v : hashStrings(v, except: except) }
            return .object(out)
        default: return value
        }
    }
}

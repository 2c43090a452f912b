import Crypto
import Foundation

/// HMACs the sensitive values of an audit entry with a salt of the device's own, so the log can
/// be shipped anywhere and still searched: `sys/audit-hash` hashes a known value the same way.
public struct AuditHasher: Sendable {
    /// The HMAC with the key already absorbed; each hash starts from a copy of it, so the key
    /// schedule is paid once per device rather than once per value.
    let keyed: HMAC<SHA256>
    /// `log_raw`: write values as they are (for debugging, never for production).
    let raw: Bool

    public init(salt: [UInt8], raw: Bool = false) {
        keyed = HMAC<SHA256>(key: SymmetricKey(data: salt))
        self.raw = raw
    }

    public func hash(_ value: String) -> String {
        var mac = keyed
        var value = value
        value.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        return "hmac-sha256:" + mac.finalize().hexString
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

import Crypto
import TresorCore

/// A per-mount HMAC key, so storage keys derived from role ids and secret ids reveal nothing.
enum MountSalt {
    static func hasher(_ storage: StorageView) async throws -> @Sendable (String) -> String {
        var salt = try await storage.get("salt")
        if salt == nil {
            await storage.lock("salt")
            salt = try await storage.get("salt")
            if salt == nil {
                let fresh = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
                try await storage.put("salt", fresh)
                salt = fresh
            }
        }
        let key = SymmetricKey(data: salt!)
        return { value in
            HMAC<SHA256>.authenticationCode(for: Array(value.utf8), using: key).hexString
        }
    }
}

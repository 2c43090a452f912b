import Crypto
import ExtrasBase64
import Foundation
import TresorJSON

/// Batch tokens carry their own entry, sealed with AES-256-GCM under a key derived from the
/// token salt: making one writes nothing, and every node that holds the salt can open one. The
/// price is Vault's: a batch token cannot be renewed or revoked, and lives until its TTL ends
/// (or its parent is revoked).
struct BatchTokenSeal: Sendable {
    static let prefix = "hvb."
    /// Longer tokens are not opened: a batch token is a few hundred bytes.
    static let maximumLength = 16_384

    private let key: SymmetricKey

    init(salt: SymmetricKey) {
        key = HKDF<SHA256>.deriveKey(inputKeyMaterial: salt, info: Array("tresor batch token v1".utf8), outputByteCount: 32)
    }

    /// The token for `entry`; its `id` is not sealed (it is the token's own hash).
    func seal(_ entry: TokenEntry) throws -> String {
        var stored = entry
        stored.id = ""
        let box = try AES.GCM.seal(JSONWriter.encode(stored.storedJSON), using: key, authenticating: Array(Self.prefix.utf8))
        guard let combined = box.combined else { throw TresorError.internalError("batch token sealing failed") }
        return Self.prefix + Base64.encodeToString(bytes: combined, options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }

    /// The entry a batch token carries, or nil if it is not one this server sealed.
    func open(_ token: String) -> TokenEntry? {
        guard token.hasPrefix(Self.prefix), token.utf8.count <= Self.maximumLength,
              let bytes = try? Base64.decode(string: String(token.dropFirst(Self.prefix.count)), options: [.base64UrlAlphabet, .omitPaddingCharacter]),
              let box = try? AES.GCM.SealedBox(combined: bytes),
              let plain = try? AES.GCM.open(box, using: key, authenticating: Array(Self.prefix.utf8)),
              let json = try? JSONValue.parse(plain),
              let entry = try? TokenEntry(storedJSON: json), entry.type == "batch" else { return nil }
        return entry
    }
}

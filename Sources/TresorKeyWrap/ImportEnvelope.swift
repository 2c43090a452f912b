import Crypto
import CryptoExtras
import Foundation

/// Vault's BYOK envelope: a fresh AES-256 key, encrypted with RSA-OAEP under the server's
/// wrapping key, followed by the key material wrapped with KWP under that AES key.
public enum ImportEnvelope {
    public enum OAEPHash: String, Sendable {
        case sha1 = "SHA1", sha256 = "SHA256"

        public static func named(_ name: String) -> OAEPHash? { OAEPHash(rawValue: name.uppercased()) }

        var padding: _RSA.Encryption.Padding { self == .sha1 ? .PKCS1_OAEP : .PKCS1_OAEP_SHA256 }
    }

    /// What `bao transit import` sends: base64 of `OAEP(ephemeral key) ‖ KWP(material)`.
    public static func seal(_ material: [UInt8], wrappingKeyPEM: String, hash: OAEPHash = .sha256) throws -> String {
        let wrapping = try _RSA.Encryption.PublicKey(pemRepresentation: wrappingKeyPEM)
        let ephemeral = SymmetricKey(size: .bits256)
        let encryptedKey = try ephemeral.withUnsafeBytes { try wrapping.encrypt(Data($0), padding: hash.padding) }
        return Data(Array(encryptedKey) + (try KeyWrapPadded.wrap(material, kek: ephemeral))).base64EncodedString()
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The server's side: the key material out of the envelope.
    public static func open(_ envelope: [UInt8], wrappingKey: _RSA.Encryption.PrivateKey, hash: OAEPHash) throws -> [UInt8] {
        let split = wrappingKey.keySizeInBits / 8
        guard envelope.count > split else { throw Failure(description: "provided ciphertext is too short") }
        let ephemeral: Data
        do {
            ephemeral = try wrappingKey.decrypt(Data(envelope[..<split]), padding: hash.padding)
        } catch {
            throw Failure(description: "error decrypting ephemeral key: decryption error")
        }
        guard ephemeral.count == 32 else { throw Failure(description: "expected ephemeral AES key to be 256-bit") }
        return try KeyWrapPadded.unwrap(Array(envelope[split...]), kek: SymmetricKey(data: ephemeral))
    }
}

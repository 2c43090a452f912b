import Crypto

/// `seal "static"`: the root key is encrypted with a key the operator supplies. The key's id is
/// stored beside the ciphertext so a wrong key is named, not just refused.
public struct StaticSeal: AutoSeal {
    public let type = "static"
    let keyID: String
    let key: SymmetricKey

    public init(keyID: String, key: [UInt8]) throws {
        guard key.count == 32 else { throw AutoSealError("static seal key must be 32 bytes (AES-256), got \(key.count)") }
        guard !keyID.isEmpty, keyID.utf8.count < 256 else { throw AutoSealError("static seal needs a current_key_id") }
        self.keyID = keyID
        self.key = SymmetricKey(data: key)
    }

    public func encrypt(_ plaintext: [UInt8]) async throws -> [UInt8] {
        let id = Array(keyID.utf8)
        let box = try AES.GCM.seal(plaintext, using: key, authenticating: id)
        return [UInt8(id.count)] + id + Array(box.combined!)
    }

    public func decrypt(_ ciphertext: [UInt8]) async throws -> [UInt8] {
        guard let length = ciphertext.first.map(Int.init), ciphertext.count > 1 + length else {
            throw AutoSealError("sealed root key is malformed")
        }
        let id = Array(ciphertext[1...length])
        let storedID = String(decoding: id, as: UTF8.self)
        guard storedID == keyID else {
            throw AutoSealError("root key was sealed with static key \"\(storedID)\" but current_key_id is \"\(keyID)\"")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: ciphertext[(1 + length)...])
            return Array(try AES.GCM.open(box, using: key, authenticating: id))
        } catch {
            throw AutoSealError("static seal key \"\(keyID)\" does not open the root key")
        }
    }
}

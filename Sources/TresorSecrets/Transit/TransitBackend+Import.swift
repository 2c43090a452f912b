import Crypto
import CryptoExtras
import Foundation
import TresorCore
import TresorKeyWrap

/// Bring your own key: `wrapping_key` hands out an RSA-4096 public key; `keys/:name/import` and
/// `import_version` take key material sealed to it (`ImportEnvelope`), as `bao transit import`
/// and Vault's BYOK tools produce it.
extension TransitBackend {
    static let wrappingKeyName = "import/wrapping-key"

    static func importPaths(_ system: SystemView) -> [PathSpec] {
        let fields = [
            FieldSpec("type", .string, default: "aes256-gcm96"), FieldSpec("hash_function", .string, default: "SHA256"),
            FieldSpec("ciphertext", .string), FieldSpec("public_key", .string), FieldSpec("allow_rotation", .bool),
            FieldSpec("derived", .bool), FieldSpec("exportable", .bool), FieldSpec("allow_plaintext_backup", .bool),
            FieldSpec("auto_rotate_period", .duration), FieldSpec("context", .string), FieldSpec("convergent_encryption", .bool),
            FieldSpec("version", .int),
        ]
        return [
            PathSpec("wrapping_key", handlers: [
                .read: { ctx, _ in
                    let key = try await wrappingKey(ctx.storage, system)
                    guard let pub = key.latest?.rsaPublic else { throw TresorError.internalError("wrapping key has no public key") }
                    return LogicalResponse(data: ["public_key": .string(try RSAKeys.publicKey(n: pub.n, e: pub.e).pemRepresentation + "\n")])
                },
            ]),
            PathSpec("keys/{name}/import", fields: fields, handlers: [.update: { ctx, fields in try await importKey(ctx, fields, system) }]),
            PathSpec("keys/{name}/import_version", fields: fields, handlers: [
                .update: { ctx, fields in try await importVersion(ctx, fields, system) },
            ]),
        ]
    }

    static func wrappingKey(_ storage: StorageView, _ system: SystemView) async throws -> TransitPolicy {
        if let existing = try await load(storage, wrappingKeyName) { return existing }
        await storage.lock("policy/" + wrappingKeyName)
        if let existing = try await load(storage, wrappingKeyName) { return existing }
        let key = try TransitPolicy.create(name: wrappingKeyName, type: .rsa4096, derived: false, convergent: false, keySize: 0, now: system.now())
        try await save(storage, key)
        return key
    }

    /// The version the sealed material (or a public key) makes, checked against the key type.
    static func importedVersion(_ ctx: RequestContext, _ fields: FieldData, _ type: TransitKeyType, _ system: SystemView) async throws -> TransitKeyVersion {
        let now = system.now()
        var entry = TransitKeyVersion(key: nil, hmacKey: TransitCrypto.randomBytes(32), time: GoFormat.time(now), publicKey: "",
                                      convergentVersion: 0, creationTime: Int64(now.timeIntervalSince1970))
        let ciphertext = fields.has("ciphertext") ? try fields.string("ciphertext") : ""
        if ciphertext.isEmpty {
            let pem = fields.has("public_key") ? try fields.string("public_key") : ""
            guard !pem.isEmpty else { throw TresorError.badRequest("missing ciphertext or public_key to import") }
            guard type.supportsSigning else { throw TresorError.badRequest("provided type does not support public_key import") }
            return try TransitImport.publicVersion(entry, pem: pem, type: type)
        }
        guard let envelope = Data(base64Encoded: ciphertext) else { throw TresorError.badRequest("error decoding ciphertext: illegal base64 data") }
        let hashName = try fields.string("hash_function")
        guard let hash = ImportEnvelope.OAEPHash.named(hashName) else {
            throw TresorError.badRequest("unsupported hash function: \(hashName) (SHA1 or SHA256)")
        }
        let wrapping = try await wrappingKey(ctx.storage, system)
        guard let components = wrapping.latest?.rsaKey else { throw TresorError.internalError("wrapping key has no private key") }
        let rsa = try _RSA.Encryption.PrivateKey(n: components.n, e: components.e, d: components.d, p: components.p, q: components.q)
        let material: [UInt8]
        do {
            material = try ImportEnvelope.open([UInt8](envelope), wrappingKey: rsa, hash: hash)
        } catch {
            throw TresorError.badRequest("\(error)")
        }
        entry = try TransitImport.privateVersion(entry, material: material, type: type)
        return entry
    }

    static func importKey(_ ctx: RequestContext, _ fields: FieldData, _ system: SystemView) async throws -> LogicalResponse? {
        let name = try name(ctx)
        if fields.has("convergent_encryption") {
            throw TresorError.badRequest("import cannot be used on keys with convergent encryption enabled")
        }
        let typeName = try fields.string("type")
        guard let type = TransitKeyType(name: typeName) else { throw TresorError.badRequest("unknown key type \(typeName)") }
        let allowRotation = try fields.bool("allow_rotation")
        let period = try autoRotatePeriod(fields) ?? 0
        if period > 0 && !allowRotation { throw TresorError.badRequest("allow_rotation must be set to true if auto-rotation is enabled") }
        await ctx.storage.lock("policy/" + name)
        if try await load(ctx.storage, name) != nil {
            throw TresorError.badRequest("the import path cannot be used with an existing key; use import-version to rotate an existing imported key")
        }
        let derived = try fields.bool("derived")
        if derived && !type.supportsDerivation {
            throw TresorError.badRequest("key derivation and convergent encryption not supported for keys of type \(type.name)")
        }
        var entry = try await importedVersion(ctx, fields, type, system)
        if type == .hmac { entry.hmacKey = entry.key }
        var policy = TransitPolicy(name: name, type: type, versions: [1: entry])
        policy.latestVersion = 1
        policy.keySize = type == .hmac ? entry.key?.count ?? 0 : 0
        policy.derived = derived
        // OpenBao gives imported keys the legacy KDF; keeping it keeps their derived keys the same.
        policy.kdf = 0
        policy.exportable = try fields.bool("exportable")
        policy.allowPlaintextBackup = try fields.bool("allow_plaintext_backup")
        policy.autoRotatePeriod = period
        policy.imported = true
        policy.allowImportedKeyRotation = allowRotation
        try await save(ctx.storage, policy)
        return nil
    }

    static func importVersion(_ ctx: RequestContext, _ fields: FieldData, _ system: SystemView) async throws -> LogicalResponse? {
        let name = try name(ctx)
        await ctx.storage.lock("policy/" + name)
        guard var policy = try await load(ctx.storage, name) else {
            throw TresorError.badRequest("no key found with name \(name); to import a new key, use the import/ endpoint")
        }
        guard policy.imported else { throw TresorError.badRequest("the import_version endpoint can only be used with an imported key") }
        guard !policy.convergentEncryption else { throw TresorError.badRequest("import_version cannot be used on keys with convergent encryption enabled") }
        var entry = try await importedVersion(ctx, fields, policy.type, system)
        if policy.type == .hmac { entry.hmacKey = entry.key }
        if fields.has("version"), try fields.int("version") != 0 {
            let version = Int(try fields.int("version"))
            guard let existing = policy.versions[version], !existing.hasPrivateKey, entry.hasPrivateKey,
                  TransitImport.samePublicKey(existing, entry, policy.type) else {
                throw TresorError.badRequest("cannot import key, key pair does not match or the version cannot be updated")
            }
            entry.hmacKey = existing.hmacKey
            entry.time = existing.time
            entry.creationTime = existing.creationTime
            policy.versions[version] = entry
        } else {
            policy.latestVersion += 1
            policy.versions[policy.latestVersion] = entry
        }
        try await save(ctx.storage, policy)
        return nil
    }
}

import Foundation
import TresorCore

/// The transit secrets engine: encryption, signing and HMAC as a service, with keys that never
/// leave the barrier unless marked exportable.
///
/// Storage: `policy/<name>` (each key with all its versions, in OpenBao's backup document shape),
/// `config/keys` (`disable_upsert`).
struct TransitBackend: LogicalBackend {
    let paths: [PathSpec]
    private let now: @Sendable () -> Date

    init(system: SystemView) {
        now = system.now
        paths = Self.keyPaths(system) + Self.importPaths(system) + Self.dataPaths(system) + Self.utilityPaths()
    }

    /// Rotates keys whose `auto_rotate_period` has passed since their latest version was made.
    func periodic(storage: StorageView, mount: MountEntry) async throws {
        let seconds = Int64(now().timeIntervalSince1970)
        for name in try await storage.list("policy/") where !name.hasSuffix("/") {
            guard let policy = try await Self.load(storage, name), policy.autoRotatePeriod > 0,
                  !policy.imported || policy.allowImportedKeyRotation,
                  let latest = policy.latest, seconds >= latest.creationTime + policy.autoRotatePeriod / 1_000_000_000 else { continue }
            await storage.lock("policy/" + name)
            guard var current = try await Self.load(storage, name), current.latestVersion == policy.latestVersion else { continue }
            try current.rotate(now: now())
            try await Self.save(storage, current)
        }
    }

    static func load(_ storage: StorageView, _ name: String) async throws -> TransitPolicy? {
        try await storage.getJSON("policy/" + name, as: TransitPolicy.self)
    }

    static func save(_ storage: StorageView, _ policy: TransitPolicy) async throws {
        try await storage.putJSON("policy/" + policy.name, policy)
    }

    /// Key names as OpenBao accepts them: word characters at both ends, `-` and `.` inside.
    static func validName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        func word(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x5f }
        guard let first = bytes.first, let last = bytes.last, word(first), word(last), bytes.count <= 512 else { return false }
        return bytes.allSatisfy { word($0) || $0 == 0x2d || $0 == 0x2e }
    }

    static func name(_ ctx: RequestContext) throws(TresorError) -> String {
        let name = ctx.capture("name")
        guard validName(name) else { throw .unsupportedPath }
        return name
    }

    static func base64(_ text: String, _ what: String = "input") throws(TresorError) -> [UInt8] {
        guard let data = Data(base64Encoded: text) else { throw .badRequest("unable to decode \(what) as base64: illegal base64 data") }
        return [UInt8](data)
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func fromBase64URL(_ text: String) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map { [UInt8]($0) }
    }

    static let minimumAutoRotate: Int64 = 3600

    static func autoRotatePeriod(_ fields: FieldData) throws(TresorError) -> Int64? {
        guard fields.has("auto_rotate_period") else { return nil }
        let seconds = try fields.duration("auto_rotate_period")
        guard seconds == 0 || seconds >= minimumAutoRotate else {
            throw .badRequest("auto rotate period must be 0 to disable or at least an hour")
        }
        return seconds * 1_000_000_000
    }
}

extension TransitPolicy {
    /// A new key of `type` with its first version.
    static func create(name: String, type: TransitKeyType, derived: Bool, convergent: Bool, keySize: Int, now: Date) throws -> TransitPolicy {
        if convergent && !derived { throw TresorError.badRequest("convergent encryption requires derivation to be enabled") }
        if derived && !type.supportsDerivation {
            throw TresorError.badRequest("key derivation and convergent encryption not supported for keys of type \(type.name)")
        }
        if convergent && type == .ed25519 { throw TresorError.badRequest("convergent encryption not supported for keys of type ed25519") }
        var size = 0
        if type == .hmac {
            guard keySize >= 32 && keySize <= 512 else {
                throw TresorError.badRequest("invalid key size for HMAC key, must be between 32 and 512 bytes")
            }
            size = keySize
        } else if keySize != 0 {
            throw TresorError.badRequest("key_size is not valid for algorithm \(type.name)")
        }
        var policy = TransitPolicy(name: name, type: type, versions: [:])
        policy.keySize = size
        policy.derived = derived
        policy.kdf = derived ? 1 : 0
        policy.convergentEncryption = convergent
        policy.convergentVersion = convergent ? -1 : 0
        try policy.rotate(now: now)
        return policy
    }

    mutating func rotate(now: Date) throws {
        latestVersion += 1
        versions[latestVersion] = try TransitCrypto.newVersion(type, keySize: keySize, convergent: convergentEncryption, now: now)
        imported = false
    }

    /// The version an operation that produces output (encrypt, sign, HMAC) uses: 0 means the
    /// latest; none below `min_encryption_version`.
    func outputVersion(_ requested: Int, negative: String, tooNew: String, tooOld: String) throws(TresorError) -> (Int, TransitKeyVersion) {
        if requested < 0 { throw .badRequest(negative) }
        if requested > latestVersion { throw .badRequest(tooNew) }
        let version = requested == 0 ? latestVersion : requested
        if version < minEncryptionVersion { throw .badRequest(tooOld) }
        guard let entry = versions[version] else { throw .badRequest("no such key version") }
        return (version, entry)
    }

    /// The body of a key read (and of create, config, rotate and trim).
    func readData(context: [UInt8]?) throws -> [String: JSONValue] {
        var data: [String: JSONValue] = [
            "name": .string(name), "type": .string(type.name), "derived": .bool(derived),
            "deletion_allowed": .bool(deletionAllowed), "exportable": .bool(exportable),
            "allow_plaintext_backup": .bool(allowPlaintextBackup),
            "min_available_version": .int(Int64(minAvailableVersion)),
            "min_decryption_version": .int(Int64(minDecryptionVersion)),
            "min_encryption_version": .int(Int64(minEncryptionVersion)),
            "latest_version": .int(Int64(latestVersion)),
            "supports_encryption": .bool(type.supportsEncryption), "supports_decryption": .bool(type.supportsEncryption),
            "supports_signing": .bool(type.supportsSigning), "supports_derivation": .bool(type.supportsDerivation),
            "auto_rotate_period": .int(autoRotatePeriod / 1_000_000_000),
            "imported_key": .bool(imported), "soft_deleted": false,
        ]
        if keySize != 0 { data["key_size"] = .int(Int64(keySize)) }
        if imported { data["imported_key_allow_rotation"] = .bool(allowImportedKeyRotation) }
        if let backupInfo { data["backup_info"] = backupInfo.goJSON }
        if let restoreInfo { data["restore_info"] = restoreInfo.goJSON }
        if derived {
            data["kdf"] = .string(kdf == 1 ? "hkdf_sha256" : "hmac-sha256-counter")
            if kdf != 1 { data["kdf_mode"] = "hmac-sha256-counter" }
            data["convergent_encryption"] = .bool(convergentEncryption)
            if convergentEncryption { data["convergent_encryption_version"] = .int(Int64(convergentVersion)) }
        }
        guard type != .hmac else { return data }
        var keys: [String: JSONValue] = [:]
        for (version, entry) in versions where version >= minDecryptionVersion {
            if type.isSymmetric {
                keys[String(version)] = .int(entry.creationTime)
                continue
            }
            var publicKey = entry.publicKey
            if type.isRSA, let pub = entry.rsaPublic {
                publicKey = try RSAKeys.publicKey(n: pub.n, e: pub.e).pemRepresentation + "\n"
            } else if type == .ed25519 && derived {
                publicKey = try context.map { Data(try TransitSigning.ed25519Key(self, entry, context: $0).publicKey.rawRepresentation).base64EncodedString() } ?? ""
            }
            keys[String(version)] = [
                "name": .string(type.publicKeyName), "public_key": .string(publicKey),
                "certificate_chain": .string(entry.certificateChain.map { $0.map { PEM.encode("CERTIFICATE", Data($0)) }.joined(separator: "\n") } ?? ""),
                "creation_time": .string(entry.time),
            ]
        }
        data["keys"] = .object(keys)
        return data
    }
}

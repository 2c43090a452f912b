import Foundation
import TresorCore

/// An RSA private key as Go's `rsa.PrivateKey` holds it (big-endian magnitudes).
struct RSAComponents: Sendable, Equatable {
    var n: [UInt8], e: [UInt8], d: [UInt8], p: [UInt8], q: [UInt8]
    var dp: [UInt8], dq: [UInt8], qinv: [UInt8]
}

/// One version of a transit key, in OpenBao's `KeyEntry` shape.
struct TransitKeyVersion: Sendable, Equatable {
    /// Symmetric and HMAC key bytes; for ed25519 the seed followed by the public key (64 bytes).
    var key: [UInt8]?
    /// The separate key `hmac/` uses for every type but `hmac` (where it equals `key`).
    var hmacKey: [UInt8]?
    /// RFC 3339 creation time, as stored.
    var time: String
    var ecX: [UInt8]?, ecY: [UInt8]?, ecD: [UInt8]?
    var rsaKey: RSAComponents?
    var rsaPublic: (n: [UInt8], e: [UInt8])?
    /// ECDSA: PKIX PEM with a trailing newline; ed25519: base64 of the public key.
    var publicKey: String
    var convergentVersion: Int
    /// Unix seconds.
    var creationTime: Int64
    var certificateChain: [[UInt8]]?

    static func == (a: Self, b: Self) -> Bool {
        a.key == b.key && a.hmacKey == b.hmacKey && a.time == b.time && a.ecX == b.ecX && a.ecY == b.ecY && a.ecD == b.ecD
            && a.rsaKey == b.rsaKey && a.rsaPublic?.n == b.rsaPublic?.n && a.rsaPublic?.e == b.rsaPublic?.e
            && a.publicKey == b.publicKey && a.convergentVersion == b.convergentVersion && a.creationTime == b.creationTime
            && a.certificateChain == b.certificateChain
    }

    /// OpenBao's zero-value entry: the archive's placeholder for version 0.
    static let placeholder = TransitKeyVersion(key: nil, hmacKey: nil, time: "0001-01-01T00:00:00Z", publicKey: "",
                                               convergentVersion: 0, creationTime: 0)

    var hasPrivateKey: Bool { key != nil || ecD != nil || rsaKey != nil }

    /// An ECDSA key as Go stores it: big-endian magnitudes without leading zeros, and the PEM
    /// public key with its trailing newline.
    mutating func setECDSA(d: [UInt8]?, xy: [UInt8], pem: String) {
        let half = xy.count / 2
        ecD = d.map { Array($0.drop { $0 == 0 }) }
        ecX = Array(xy[..<half].drop { $0 == 0 })
        ecY = Array(xy[half...].drop { $0 == 0 })
        publicKey = pem + "\n"
    }
}

struct TransitTimedVersion: Sendable, Equatable {
    var time: String
    var version: Int
}

/// A named transit key with all its versions, stored at `policy/<name>` in OpenBao's `Policy`
/// JSON shape, so that a backup is that JSON and restores on either server.
struct TransitPolicy: Sendable, Equatable {
    var name: String
    var type: TransitKeyType
    /// Every version still available (from `minAvailableVersion`, or 1, to `latestVersion`).
    var versions: [Int: TransitKeyVersion]
    var keySize: Int = 0
    var derived = false
    /// 1 = HKDF-SHA256; 0 = the legacy HMAC-SHA256 counter KDF.
    var kdf = 1
    var convergentEncryption = false
    var convergentVersion = 0
    var exportable = false
    var allowPlaintextBackup = false
    var deletionAllowed = false
    var minDecryptionVersion = 1
    var minEncryptionVersion = 0
    var minAvailableVersion = 0
    var latestVersion = 0
    /// Nanoseconds, as stored; 0 = never.
    var autoRotatePeriod: Int64 = 0
    var imported = false
    var allowImportedKeyRotation = false
    var backupInfo: TransitTimedVersion?
    var restoreInfo: TransitTimedVersion?

    var latest: TransitKeyVersion? { versions[latestVersion] }
}

// MARK: - Go JSON

/// Stored and backed-up form. Big integers (ECDSA coordinates, RSA components) are JSON numbers
/// in OpenBao's JSON; `GoJSON` carries them as `.string` holding a marker and the digits, and
/// turns them into bare numbers when it writes the text.
enum GoJSON {
    static let bigMarker = "\u{1}bignum:"

    static func big(_ bytes: [UInt8]) -> JSONValue { .string(bigMarker + BigDecimal.decimal(fromBytes: bytes)) }

    static func bytes(_ value: JSONValue?) -> [UInt8]? {
        switch value {
        case .string(let text)?:
            let digits = text.hasPrefix(bigMarker) ? Substring(text.dropFirst(bigMarker.count)) : Substring(text)
            return BigDecimal.bytes(fromDecimal: digits)
        case .int(let value)? where value >= 0:
            return BigDecimal.bytes(fromDecimal: Substring(String(value)))
        default:
            return nil
        }
    }

    /// The JSON text, with marked big integers written bare.
    static func encode(_ value: JSONValue) -> [UInt8] {
        let text = JSONWriter.encode(value)
        // The writer escapes the marker's control character as \u0001.
        let marker = Array(#""\u0001bignum:"#.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            if text[index] == 0x22, text[index...].starts(with: marker) {
                index += marker.count
                while index < text.count && text[index] != 0x22 {
                    out.append(text[index])
                    index += 1
                }
                index += 1  // the closing quote
                continue
            }
            out.append(text[index])
            index += 1
        }
        return out
    }

    /// Parses JSON text in which integers too long for 64 bits may appear: they are quoted
    /// first, so they arrive as strings of digits rather than as lossy doubles.
    static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64)
        var index = 0
        var inString = false
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                out.append(byte)
                if byte == 0x5c, index + 1 < bytes.count {
                    out.append(bytes[index + 1])
                    index += 2
                    continue
                }
                if byte == 0x22 { inString = false }
                index += 1
                continue
            }
            if byte == 0x22 {
                inString = true
                out.append(byte)
                index += 1
                continue
            }
            if byte >= 0x30 && byte <= 0x39 {
                var end = index
                while end < bytes.count && bytes[end] >= 0x30 && bytes[end] <= 0x39 { end += 1 }
                let isPlainInteger = end == bytes.count || ![0x2e, 0x65, 0x45].contains(bytes[end])
                let preceded = index > 0 && bytes[index - 1] == 0x2d
                if isPlainInteger && !preceded && end - index > 18 {
                    out.append(0x22)
                    out += bytes[index..<end]
                    out.append(0x22)
                } else {
                    out += bytes[index..<end]
                }
                index = end
                continue
            }
            out.append(byte)
            index += 1
        }
        return try JSONValue.parse(out)
    }
}

extension TransitKeyVersion {
    var goJSON: JSONValue {
        var rsa: JSONValue = .null
        if let k = rsaKey {
            rsa = ["N": GoJSON.big(k.n), "E": GoJSON.big(k.e), "D": GoJSON.big(k.d), "Primes": [GoJSON.big(k.p), GoJSON.big(k.q)],
                   "Precomputed": ["Dp": GoJSON.big(k.dp), "Dq": GoJSON.big(k.dq), "Qinv": GoJSON.big(k.qinv), "CRTValues": .array([])]]
        }
        var rsaPub: JSONValue = .null
        if let pub = rsaPublic { rsaPub = ["N": GoJSON.big(pub.n), "E": GoJSON.big(pub.e)] }
        return [
            "key": key.map { .string(Data($0).base64EncodedString()) } ?? .null,
            "hmac_key": hmacKey.map { .string(Data($0).base64EncodedString()) } ?? .null,
            "time": .string(time),
            "ec_x": ecX.map(GoJSON.big) ?? .null,
            "ec_y": ecY.map(GoJSON.big) ?? .null,
            "ec_d": ecD.map(GoJSON.big) ?? .null,
            "rsa_key": rsa,
            "rsa_public_key": rsaPub,
            "public_key": .string(publicKey),
            "convergent_version": .int(Int64(convergentVersion)),
            "creation_time": .int(creationTime),
            "certificate_chain": certificateChain.map { .array($0.map { .string(Data($0).base64EncodedString()) }) } ?? .null,
            "external_key_ref": "",
        ]
    }

    init(goJSON value: JSONValue) throws(TresorError) {
        guard case .object(let o) = value else { throw .badRequest("invalid key entry: not an object") }
        func base64(_ name: String) throws(TresorError) -> [UInt8]? {
            switch o[name] {
            case nil, .null?: return nil
            case .string(let text)?:
                guard let data = Data(base64Encoded: text) else { throw .badRequest("invalid key entry: \(name) is not base64") }
                return [UInt8](data)
            default: throw .badRequest("invalid key entry: \(name) is not base64")
            }
        }
        func big(_ v: JSONValue?, _ name: String) throws(TresorError) -> [UInt8]? {
            if v == nil || v?.isNull == true { return nil }
            guard let bytes = GoJSON.bytes(v) else { throw .badRequest("invalid key entry: \(name) is not an integer") }
            return bytes
        }
        key = try base64("key")
        hmacKey = try base64("hmac_key")
        time = o["time"]?.stringValue ?? TransitKeyVersion.placeholder.time
        ecX = try big(o["ec_x"], "ec_x")
        ecY = try big(o["ec_y"], "ec_y")
        ecD = try big(o["ec_d"], "ec_d")
        if case .object(let r)? = o["rsa_key"] {
            guard let n = try big(r["N"], "N"), let e = try big(r["E"], "E"), let d = try big(r["D"], "D"),
                  case .array(let primes)? = r["Primes"], primes.count == 2,
                  let p = try big(primes[0], "Primes"), let q = try big(primes[1], "Primes") else {
                throw .badRequest("invalid key entry: incomplete rsa_key")
            }
            let pre = r["Precomputed"]?.objectValue ?? [:]
            let dp = try big(pre["Dp"], "Dp"), dq = try big(pre["Dq"], "Dq"), qinv = try big(pre["Qinv"], "Qinv")
            if let dp, let dq, let qinv {
                rsaKey = RSAComponents(n: n, e: e, d: d, p: p, q: q, dp: dp, dq: dq, qinv: qinv)
            } else {
                rsaKey = try RSAKeys.completed(n: n, e: e, d: d, p: p, q: q)
            }
        }
        if case .object(let r)? = o["rsa_public_key"], let n = try big(r["N"], "N"), let e = try big(r["E"], "E") {
            rsaPublic = (n, e)
        } else if let k = rsaKey {
            rsaPublic = (k.n, k.e)
        }
        publicKey = o["public_key"]?.stringValue ?? ""
        convergentVersion = Int(o["convergent_version"].flatMap(StoredObject.int64) ?? 0)
        creationTime = o["creation_time"].flatMap(StoredObject.int64) ?? 0
        if case .array(let chain)? = o["certificate_chain"] {
            certificateChain = try chain.map { (item: JSONValue) throws(TresorError) -> [UInt8] in
                guard let text = item.stringValue, let der = Data(base64Encoded: text) else {
                    throw .badRequest("invalid key entry: certificate_chain")
                }
                return [UInt8](der)
            }
        }
    }
}

extension TransitTimedVersion {
    var goJSON: JSONValue { ["time": .string(time), "version": .int(Int64(version))] }
    init?(goJSON value: JSONValue?) {
        guard case .object(let o)? = value, let time = o["time"]?.stringValue else { return nil }
        self.time = time
        version = Int(o["version"].flatMap(StoredObject.int64) ?? 0)
    }
}

extension TransitPolicy {
    /// OpenBao's `archive_min_version`: the first version its archive holds.
    var archiveMinVersion: Int { minAvailableVersion }

    /// The `Policy` JSON: `keys` holds the versions from `min_decryption_version` on.
    var goJSON: JSONValue {
        var keys: [String: JSONValue] = [:]
        for (version, entry) in versions where version >= minDecryptionVersion { keys[String(version)] = entry.goJSON }
        return [
            "name": .string(name),
            "key_size": .int(Int64(keySize)),
            "keys": .object(keys),
            "derived": .bool(derived),
            "kdf": .int(Int64(kdf)),
            "convergent_encryption": .bool(convergentEncryption),
            "exportable": .bool(exportable),
            "min_decryption_version": .int(Int64(minDecryptionVersion)),
            "min_encryption_version": .int(Int64(minEncryptionVersion)),
            "latest_version": .int(Int64(latestVersion)),
            "archive_version": .int(Int64(latestVersion)),
            "archive_min_version": .int(Int64(archiveMinVersion)),
            "min_available_version": .int(Int64(minAvailableVersion)),
            "deletion_allowed": .bool(deletionAllowed),
            "convergent_version": .int(Int64(convergentVersion)),
            "type": .int(Int64(type.rawValue)),
            "backup_info": backupInfo?.goJSON ?? .null,
            "restore_info": restoreInfo?.goJSON ?? .null,
            "allow_plaintext_backup": .bool(allowPlaintextBackup),
            "version_template": "",
            "storage_prefix": "",
            "auto_rotate_period": .int(autoRotatePeriod),
            "Imported": .bool(imported),
            "AllowImportedKeyRotation": .bool(allowImportedKeyRotation),
            "soft_deleted": false,
        ]
    }

    /// OpenBao's archive: every version from `archive_min_version` to the latest, with a blank
    /// entry standing for version 0.
    var archiveJSON: JSONValue {
        var entries: [JSONValue] = []
        for version in archiveMinVersion...max(archiveMinVersion, latestVersion) {
            entries.append((version == 0 ? TransitKeyVersion.placeholder : versions[version] ?? .placeholder).goJSON)
        }
        return ["keys": .array(entries)]
    }

    /// Reads a stored or backed-up policy; `archive` supplies versions below
    /// `min_decryption_version`.
    init(goJSON value: JSONValue, archive: JSONValue? = nil) throws(TresorError) {
        guard case .object(let o) = value else { throw .badRequest("invalid key: not an object") }
        func int(_ name: String) -> Int { Int(o[name].flatMap(StoredObject.int64) ?? 0) }
        func bool(_ name: String) -> Bool { o[name]?.boolValue ?? false }
        guard let name = o["name"]?.stringValue else { throw .badRequest("invalid key: no name") }
        guard let type = TransitKeyType(rawValue: int("type")) else {
            throw .badRequest("key type \(int("type")) is not supported by this server")
        }
        self.name = name
        self.type = type
        versions = [:]
        keySize = int("key_size")
        derived = bool("derived")
        kdf = int("kdf")
        convergentEncryption = bool("convergent_encryption")
        convergentVersion = int("convergent_version")
        exportable = bool("exportable")
        allowPlaintextBackup = bool("allow_plaintext_backup")
        deletionAllowed = bool("deletion_allowed")
        minDecryptionVersion = max(1, int("min_decryption_version"))
        minEncryptionVersion = int("min_encryption_version")
        minAvailableVersion = int("min_available_version")
        latestVersion = int("latest_version")
        autoRotatePeriod = o["auto_rotate_period"].flatMap(StoredObject.int64) ?? 0
        imported = bool("Imported")
        allowImportedKeyRotation = bool("AllowImportedKeyRotation")
        backupInfo = TransitTimedVersion(goJSON: o["backup_info"])
        restoreInfo = TransitTimedVersion(goJSON: o["restore_info"])
        if o["version_template"]?.stringValue.map({ !$0.isEmpty }) == true {
            throw .badRequest("keys with a custom version_template are not supported")
        }
        if case .array(let archived)? = archive?.objectValue?["keys"] {
            let first = int("archive_min_version")
            for (offset, item) in archived.enumerated() where first + offset > 0 {
                versions[first + offset] = try TransitKeyVersion(goJSON: item)
            }
        }
        if case .object(let keys)? = o["keys"] {
            for (text, item) in keys {
                guard let version = Int(text), version > 0 else { throw .badRequest("invalid key: version \(text)") }
                versions[version] = try TransitKeyVersion(goJSON: item)
            }
        }
        if latestVersion == 0 { latestVersion = versions.keys.max() ?? 0 }
        guard latestVersion > 0, versions[latestVersion] != nil else { throw .badRequest("invalid key: the latest version is missing") }
        // Versions below min_decryption_version that OpenBao had already archived away are gone for good.
        versions = versions.filter { $0.key >= max(1, minAvailableVersion) && $0.key <= latestVersion }
    }
}

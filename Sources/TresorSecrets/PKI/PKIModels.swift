import Foundation
import TresorCore
import X509

/// A key the mount holds (`key/<id>`): its PEM in Vault's default encoding, inside the barrier.
struct PKIKeyEntry: Codable, Sendable {
    var id: String
    var name: String
    var pem: String

    func key() throws(TresorError) -> PKIPrivateKey { try PKICache.shared.key(pem) }
}

/// An issuer (`issuer/<id>`): a CA certificate, the key that signs with it if the mount holds
/// one, and its settings.
struct PKIIssuerEntry: Codable, Sendable {
    var id: String
    var name: String
    var keyID: String
    /// PEM, ending in a newline, as Vault stores it.
    var certificate: String
    /// PEMs from this issuer up: `[self, parent, ...]`, rebuilt whenever the set of issuers changes.
    var caChain: [String]
    var manualChain: [String]?
    var usage: [String]
    var leafNotAfterBehavior: String
    var revocationSignatureAlgorithm: String
    var revoked: Bool
    var revocationTime: Double?
    var issuingCertificates: [String]
    var crlDistributionPoints: [String]
    var deltaCRLDistributionPoints: [String]
    var ocspServers: [String]
    var enableAIAURLTemplating: Bool
    var serialNumber: String

    static let allUsages = ["crl-signing", "issuing-certificates", "ocsp-signing", "read-only"]

    func parsed() throws(TresorError) -> Certificate {
        do { return try PKICache.shared.certificate(certificate) } catch {
            throw .internalError("stored issuer \(id) has an unreadable certificate")
        }
    }

    func has(_ usage: String) -> Bool { usage == "read-only" || self.usage.contains(usage) }

    /// The issuer's own URLs when any are set, else the mount's `config/urls`.
    func urls(global: PKIURLs) -> PKIURLs {
        if issuingCertificates.isEmpty && crlDistributionPoints.isEmpty && ocspServers.isEmpty && deltaCRLDistributionPoints.isEmpty {
            return global
        }
        return PKIURLs(issuingCertificates: issuingCertificates, crlDistributionPoints: crlDistributionPoints,
                       deltaCRLDistributionPoints: deltaCRLDistributionPoints, ocspServers: ocspServers,
                       enableTemplating: enableAIAURLTemplating)
    }
}

/// A revocation (`revoked/<serial>`): small and read without Foundation's decoder, because a CRL
/// rebuild reads every one. The certificate itself stays under `certs/`.
struct PKIRevokedEntry: JSONDocument, Sendable {
    var serialNumber: String
    var revocationTime: Double
    var issuerID: String
    /// When the revoked certificate expires, for tidy.
    var notAfter: Double

    init(serialNumber: String, revocationTime: Double, issuerID: String, notAfter: Double) {
        self.serialNumber = serialNumber
        self.revocationTime = revocationTime
        self.issuerID = issuerID
        self.notAfter = notAfter
    }

    init(storedJSON: JSONValue) throws {
        let object = try StoredObject(storedJSON, of: Self.self)
        serialNumber = try object.string("serial")
        revocationTime = try object.double("time")
        issuerID = try object.string("issuer")
        notAfter = try object.double("not_after")
    }

    var storedJSON: JSONValue {
        ["serial": .string(serialNumber), "time": .double(revocationTime), "issuer": .string(issuerID), "not_after": .double(notAfter)]
    }
}

/// `config/urls` and the same fields on an issuer.
struct PKIURLs: Codable, Sendable, Equatable {
    var issuingCertificates: [String] = []
    var crlDistributionPoints: [String] = []
    var deltaCRLDistributionPoints: [String] = []
    var ocspServers: [String] = []
    var enableTemplating = false

    var isEmpty: Bool { issuingCertificates.isEmpty && crlDistributionPoints.isEmpty && ocspServers.isEmpty && deltaCRLDistributionPoints.isEmpty }
}

/// `config/crl`. Durations are kept as given, as Vault echoes them.
struct PKICRLConfig: Codable, Sendable {
    var expiry = "72h"
    var disable = false
    var ocspDisable = false
    var ocspExpiry = "12h"
    var autoRebuild = false
    var autoRebuildGracePeriod = "12h"
    var enableDelta = false
    var deltaRebuildInterval = "15m"
    var allowExpiredCertRevocation = false

    var json: [String: JSONValue] {
        ["expiry": .string(expiry), "disable": .bool(disable), "ocsp_disable": .bool(ocspDisable), "ocsp_expiry": .string(ocspExpiry),
         "auto_rebuild": .bool(autoRebuild), "auto_rebuild_grace_period": .string(autoRebuildGracePeriod),
         "enable_delta": .bool(enableDelta), "delta_rebuild_interval": .string(deltaRebuildInterval),
         "allow_expired_cert_revocation": .bool(allowExpiredCertRevocation)]
    }
}

/// `config/issuers` and `config/keys`.
struct PKIDefaults: Codable, Sendable {
    var defaultIssuer = ""
    var defaultFollowsLatestIssuer = false
    var defaultKey = ""
}

/// A CRL as last built for one issuer (`crls/<issuer id>`).
struct PKIStoredCRL: Codable, Sendable {
    var der: String
    var number: Int
    var builtAt: Double?
}

/// Serial numbers in Vault's text form: lowercase two-digit hex bytes joined by ":"; storage
/// keys use "-".
enum PKISerial {
    static func text(_ serial: Certificate.SerialNumber) -> String { hex(serial, separator: UInt8(ascii: ":")) }

    /// The storage key of a serial: its bytes in hex joined by "-".
    static func storageKey(_ serial: Certificate.SerialNumber) -> String { hex(serial, separator: UInt8(ascii: "-")) }

    private static func hex(_ serial: Certificate.SerialNumber, separator: UInt8) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(serial.bytes.count * 3)
        for byte in serial.bytes {
            if !out.isEmpty { out.append(separator) }
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A random serial below 2^159, so its DER INTEGER never needs more than 20 octets.
    static func random() -> Certificate.SerialNumber {
        var bytes = TransitCrypto.randomBytes(20)
        bytes[0] &= 0x7f
        if bytes.allSatisfy({ $0 == 0 }) { bytes[19] = 1 }
        return Certificate.SerialNumber(bytes: bytes)
    }

    /// The storage key for a serial given with ":" or "-" in any case; nil for anything that is
    /// not hex bytes.
    static func key(_ given: String) -> String? {
        let normalized = given.lowercased().replacingOccurrences(of: ":", with: "-")
        let parts = normalized.split(separator: "-", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.count <= 64, parts.allSatisfy({ $0.count >= 1 && $0.count <= 2 && $0.allSatisfy(\.isHexDigit) }) else { return nil }
        return parts.map { $0.count == 1 ? "0" + $0 : String($0) }.joined(separator: "-")
    }

    static func text(key: String) -> String { key.replacingOccurrences(of: "-", with: ":") }

    /// Bytes of an even-length hex string; nil for anything else.
    static func hexBytes(_ text: String) -> [UInt8]? { hexBytes(Array(text.utf8)) }

    /// Bytes of hex digits, skipping "-" and ":" separators; nil for anything else or an odd count.
    static func hexBytes(_ digits: [UInt8], skippingSeparators: Bool = false) -> [UInt8]? {
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var high: UInt8?
        for c in digits {
            if skippingSeparators && (c == 0x2d || c == 0x3a) { continue }
            guard let v = value(c) else { return nil }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return high == nil ? out : nil
    }
}

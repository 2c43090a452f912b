import Foundation
import SwiftASN1
import X509

/// Certificate revocation lists (RFC 5280 section 5). swift-certificates has no CRL type, so the
/// structure is assembled with swift-asn1's serializer and signed with X509's public signing API.
enum PKICRL {
    struct Entry: Sendable {
        var serial: Certificate.SerialNumber
        var revokedAt: Date
    }

    /// A complete CRL, or with `deltaBase` a delta CRL holding the revocations since the
    /// complete CRL of that number (RFC 5280 5.2.4).
    static func build(issuer: Certificate, key: PKIPrivateKey, entries: [Entry], number: Int, thisUpdate: Date,
                      nextUpdate: Date, deltaBase: Int? = nil) throws -> [UInt8] {
        let algorithm = PKICertificateFactory.signatureAlgorithm(key, bits: 0)
        let authorityKeyID = try issuer.extensions.subjectKeyIdentifier?.keyIdentifier ?? SubjectKeyIdentifier(hash: issuer.publicKey).keyIdentifier
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { s in
            try s.serialize(1)                                              // v2
            try PKIDER.algorithmIdentifier(algorithm, into: &s)
            try s.serialize(issuer.subject)
            try PKIDER.time(thisUpdate, into: &s)
            try PKIDER.time(nextUpdate, into: &s)
            if !entries.isEmpty {
                try s.appendConstructedNode(identifier: .sequence) { s in
                    for entry in entries {
                        try s.appendConstructedNode(identifier: .sequence) { s in
                            try s.serialize(entry.serial.bytes)
                            try PKIDER.time(entry.revokedAt, into: &s)
                        }
                    }
                }
            }
            try s.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { s in
                try s.appendConstructedNode(identifier: .sequence) { s in
                    try s.serialize(Certificate.Extension(AuthorityKeyIdentifier(keyIdentifier: authorityKeyID), critical: false))
                    var crlNumber = DER.Serializer()
                    try crlNumber.serialize(number)
                    try s.serialize(Certificate.Extension(oid: [2, 5, 29, 20], critical: false, value: crlNumber.serializedBytes[...]))
                    if let deltaBase {
                        var base = DER.Serializer()
                        try base.serialize(deltaBase)
                        try s.serialize(Certificate.Extension(oid: [2, 5, 29, 27], critical: true, value: base.serializedBytes[...]))
                    }
                }
            }
        }
        return try PKIDER.signed(tbs.serializedBytes, key: key, algorithm: algorithm)
    }
}

/// The few DER pieces X509 keeps internal: algorithm identifiers, times and signed envelopes.
enum PKIDER {
    static func algorithmIdentifier(_ algorithm: Certificate.SignatureAlgorithm, into s: inout DER.Serializer) throws {
        let (oid, nullParameters): (ASN1ObjectIdentifier, Bool) = switch algorithm {
        case .sha256WithRSAEncryption: ([1, 2, 840, 113549, 1, 1, 11], true)
        case .sha384WithRSAEncryption: ([1, 2, 840, 113549, 1, 1, 12], true)
        case .sha512WithRSAEncryption: ([1, 2, 840, 113549, 1, 1, 13], true)
        case .ecdsaWithSHA256: ([1, 2, 840, 10045, 4, 3, 2], false)
        case .ecdsaWithSHA384: ([1, 2, 840, 10045, 4, 3, 3], false)
        case .ecdsaWithSHA512: ([1, 2, 840, 10045, 4, 3, 4], false)
        default: ([1, 3, 101, 112], false)
        }
        try s.appendConstructedNode(identifier: .sequence) { s in
            try s.serialize(oid)
            if nullParameters { try s.serialize(ASN1Null()) }
        }
    }

    /// UTCTime through 2049, GeneralizedTime after, whole seconds (RFC 5280 4.1.2.5).
    static func time(_ date: Date, into s: inout DER.Serializer) throws {
        let t = utc(date)
        if t.year < 2050 {
            try s.serialize(UTCTime(year: t.year, month: t.month, day: t.day, hours: t.hour, minutes: t.minute, seconds: t.second))
        } else {
            try s.serialize(GeneralizedTime(year: t.year, month: t.month, day: t.day, hours: t.hour, minutes: t.minute, seconds: t.second,
                                            fractionalSeconds: 0))
        }
    }

    static func generalizedTime(_ date: Date, into s: inout DER.Serializer) throws {
        let t = utc(date)
        try s.serialize(GeneralizedTime(year: t.year, month: t.month, day: t.day, hours: t.hour, minutes: t.minute, seconds: t.second,
                                        fractionalSeconds: 0))
    }

    /// The UTC calendar fields of a date, from the C library: a CRL writes one per revoked
    /// certificate, and Foundation's Calendar costs microseconds each.
    static func utc(_ date: Date) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return (Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    /// SEQUENCE { tbs, algorithm, BIT STRING signature }: a CRL or a BasicOCSPResponse.
    static func signed(_ tbs: [UInt8], key: PKIPrivateKey, algorithm: Certificate.SignatureAlgorithm) throws -> [UInt8] {
        let signature = try key.certificateKey.sign(bytes: tbs, signatureAlgorithm: algorithm)
        var out = DER.Serializer()
        try out.appendConstructedNode(identifier: .sequence) { s in
            s.serializeRawBytes(tbs)
            try algorithmIdentifier(algorithm, into: &s)
            try s.serialize(ASN1BitString(bytes: ArraySlice(signature.rawRepresentation)))
        }
        return out.serializedBytes
    }
}

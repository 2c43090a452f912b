import Crypto
import Foundation
import SwiftASN1
import X509

/// The OCSP responder's wire format (RFC 6960). swift-certificates keeps its OCSP types
/// internal, so requests are read and responses built with swift-asn1.
enum PKIOCSP {
    struct Request: Sendable {
        /// The CertID exactly as the client sent it, echoed back in the answer.
        var certIDBytes: ArraySlice<UInt8>
        var hashAlgorithm: ASN1ObjectIdentifier
        var issuerNameHash: ArraySlice<UInt8>
        var issuerKeyHash: ArraySlice<UInt8>
        var serial: Certificate.SerialNumber
        var nonce: Certificate.Extension?
    }

    enum Status: Sendable {
        case good
        case revoked(Date)
        case unknown
    }

    static let maxRequestSize = 2048
    static let nonceOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 2]
    static let malformedRequest: [UInt8] = [0x30, 0x03, 0x0a, 0x01, 0x01]
    static let internalError: [UInt8] = [0x30, 0x03, 0x0a, 0x01, 0x02]
    static let unauthorized: [UInt8] = [0x30, 0x03, 0x0a, 0x01, 0x06]

    /// The first request of an OCSPRequest, as Go's responder reads it; nil when malformed.
    static func parse(_ der: [UInt8]) -> Request? {
        guard !der.isEmpty, der.count <= maxRequestSize, let root = try? DER.parse(der) else { return nil }
        guard let tbs = children(root).first, let tbsItems = Optional(children(tbs)) else { return nil }
        var index = 0
        // version [0] and requestorName [1] are optional and come first.
        while index < tbsItems.count, tbsItems[index].identifier.tagClass == .contextSpecific, tbsItems[index].identifier.tagNumber < 2 { index += 1 }
        guard index < tbsItems.count, tbsItems[index].identifier == .sequence else { return nil }
        let requests = children(tbsItems[index])
        guard let first = requests.first, let certID = children(first).first, certID.identifier == .sequence else { return nil }
        let parts = children(certID)
        guard parts.count == 4, let algorithm = children(parts[0]).first,
              let oid = try? ASN1ObjectIdentifier(derEncoded: algorithm),
              let nameHash = try? ASN1OctetString(derEncoded: parts[1]),
              let keyHash = try? ASN1OctetString(derEncoded: parts[2]),
              let serial = try? ArraySlice<UInt8>(derEncoded: parts[3]) else { return nil }
        var nonce: Certificate.Extension?
        for item in tbsItems[(index + 1)...] where item.identifier == ASN1Identifier(tagWithNumber: 2, tagClass: .contextSpecific) {
            for list in children(item) {
                for node in children(list) {
                    if let ext = try? Certificate.Extension(derEncoded: node), ext.oid == nonceOID { nonce = ext }
                }
            }
        }
        return Request(certIDBytes: certID.encodedBytes, hashAlgorithm: oid, issuerNameHash: nameHash.bytes,
                       issuerKeyHash: keyHash.bytes, serial: Certificate.SerialNumber(bytes: serial), nonce: nonce)
    }

    private static func children(_ node: ASN1Node) -> [ASN1Node] {
        guard case .constructed(let nodes) = node.content else { return [] }
        return Array(nodes)
    }

    /// Whether the request's CertID names `issuer`: hashes of its subject and public key, with
    /// the hash the client chose.
    static func names(_ request: Request, issuer: Certificate) -> Bool {
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(issuer.subject)) != nil else { return false }
        let name = serializer.serializedBytes, key = issuer.publicKey.subjectPublicKeyInfoBytes
        func hash(_ data: some DataProtocol) -> [UInt8]? {
            switch request.hashAlgorithm {
            case [1, 3, 14, 3, 2, 26]: Array(Insecure.SHA1.hash(data: data))
            case [2, 16, 840, 1, 101, 3, 4, 2, 1]: Array(SHA256.hash(data: data))
            case [2, 16, 840, 1, 101, 3, 4, 2, 2]: Array(SHA384.hash(data: data))
            case [2, 16, 840, 1, 101, 3, 4, 2, 3]: Array(SHA512.hash(data: data))
            default: nil
            }
        }
        guard let nameHash = hash(name), let keyHash = hash(key) else { return false }
        return nameHash[...] == request.issuerNameHash && keyHash[...] == request.issuerKeyHash
    }

    /// A signed, successful OCSPResponse about one certificate.
    static func response(_ request: Request, status: Status, issuer: Certificate, key: PKIPrivateKey, now: Date,
                         nextUpdate: Date?) throws -> [UInt8] {
        let algorithm = PKICertificateFactory.signatureAlgorithm(key, bits: 0)
        let context = { (n: UInt) in ASN1Identifier(tagWithNumber: n, tagClass: .contextSpecific) }
        let produced = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 60).rounded(.down) * 60)
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { s in
            try s.serialize(explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific) { try $0.serialize(issuer.subject) }
            try PKIDER.generalizedTime(produced, into: &s)
            try s.appendConstructedNode(identifier: .sequence) { s in
                try s.appendConstructedNode(identifier: .sequence) { s in
                    s.serializeRawBytes(request.certIDBytes)
                    switch status {
                    case .good: ASN1Null().serialize(into: &s, withIdentifier: context(0))
                    case .unknown: ASN1Null().serialize(into: &s, withIdentifier: context(2))
                    case .revoked(let at):
                        try s.appendConstructedNode(identifier: context(1)) { try PKIDER.generalizedTime(at, into: &$0) }
                    }
                    try PKIDER.generalizedTime(now, into: &s)
                    if let nextUpdate {
                        try s.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { try PKIDER.generalizedTime(nextUpdate, into: &$0) }
                    }
                }
            }
            if let nonce = request.nonce {
                try s.serialize(explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific) { try $0.serializeSequenceOf([nonce]) }
            }
        }
        let basic = try PKIDER.signed(tbs.serializedBytes, key: key, algorithm: algorithm)
        var out = DER.Serializer()
        try out.appendConstructedNode(identifier: .sequence) { s in
            try Int(0).serialize(into: &s, withIdentifier: .enumerated)
            try s.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { s in
                try s.appendConstructedNode(identifier: .sequence) { s in
                    try s.serialize(ASN1ObjectIdentifier.OCSP.basicResponse)
                    try s.serialize(ASN1OctetString(contentBytes: basic[...]))
                }
            }
        }
        return out.serializedBytes
    }
}

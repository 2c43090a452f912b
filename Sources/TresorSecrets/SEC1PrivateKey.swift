import SwiftASN1

/// RFC 5915 ECPrivateKey with its curve and public key, as Go's `x509.MarshalECPrivateKey`
/// writes it and Vault returns EC keys (transit exports, PKI private keys). swift-crypto's own
/// DER is PKCS#8, and X509 keeps its SEC1 writer internal.
enum SEC1PrivateKey {
    static func der(_ d: [UInt8], _ x963: [UInt8], curve: ASN1ObjectIdentifier) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { s in
            try s.serialize(1)
            try s.serialize(ASN1OctetString(contentBytes: ArraySlice(d)))
            try s.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { try $0.serialize(curve) }
            try s.serialize(explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific) { try $0.serialize(ASN1BitString(bytes: ArraySlice(x963))) }
        }
        return serializer.serializedBytes
    }
}

import Crypto
import Foundation
import SwiftASN1
import X509

/// The webhook's own small CA, as vault-k8s's `-tls-auto` keeps one: a P-256 CA for ten years,
/// made once per process, and a P-256 serving certificate for a day, re-issued when 90% of its
/// life has passed. The API server trusts the CA through the webhook's caBundle.
struct WebhookCertificates: Sendable {
    struct Issued: Sendable {
        var certificatePEM: String
        var keyPEM: String
        var notAfter: Date
    }

    let caKey: P256.Signing.PrivateKey
    let caCertificate: Certificate
    let caPEM: String
    let hosts: [String]
    static let leafLifetime: TimeInterval = 24 * 3600

    init(hosts: [String], now: Date = Date()) throws {
        self.hosts = hosts
        let caKey = P256.Signing.PrivateKey()
        self.caKey = caKey
        let subject = try DistinguishedName { CommonName("Agent Inject CA") }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
            try ExtendedKeyUsage([.serverAuth])
            SubjectKeyIdentifier(keyIdentifier: ArraySlice(Insecure.SHA1.hash(data: caKey.publicKey.derRepresentation)))
        }
        caCertificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey),
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: .init(caKey))
        caPEM = try Self.pem(caCertificate)
    }

    /// A serving certificate for the hosts (IP addresses as IP names, the rest as DNS names).
    func issue(now: Date = Date()) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let names: [GeneralName] = hosts.map { host in
            if let address = ipAddressBytes(host) { return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(address))) }
            return .dnsName(host)
        }
        let notAfter = now.addingTimeInterval(Self.leafLifetime)
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
            try ExtendedKeyUsage([.serverAuth])
            SubjectAlternativeNames(names)
            AuthorityKeyIdentifier(keyIdentifier: ArraySlice(Insecure.SHA1.hash(data: caKey.publicKey.derRepresentation)))
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: notAfter,
            issuer: caCertificate.subject, subject: try DistinguishedName { CommonName("Agent Inject Service") },
            signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: .init(caKey))
        return Issued(certificatePEM: try Self.pem(certificate), keyPEM: key.pemRepresentation, notAfter: notAfter)
    }

    /// When to issue the next serving certificate: 10% of its life before it ends.
    static func renewal(of issued: Issued) -> Date {
        issued.notAfter.addingTimeInterval(-leafLifetime / 10)
    }

    static func pem(_ certificate: Certificate) throws -> String {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return PEMDocument(type: "CERTIFICATE", derBytes: serializer.serializedBytes).pemString
    }
}

/// The bytes of an IPv4 or IPv6 address in text form, through the C library's parser.
func ipAddressBytes(_ text: String) -> [UInt8]? {
    var v4 = in_addr()
    if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
    return nil
}

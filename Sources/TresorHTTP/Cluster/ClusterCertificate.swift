import Crypto
import Foundation
import NIOSSL
import SwiftASN1
@_spi(Server) import TresorCore
import X509

/// The cluster's TLS identity: a self-signed EC P-256 certificate made by each new active node.
/// Both ends of a forwarded request present it and trust nothing else, so only a node that can
/// unseal the barrier (where the certificate and its key are kept) can forward or be forwarded to.
enum ClusterCertificate {
    /// A fresh certificate and key for an active node at `apiAddress` and `clusterAddress`.
    static func make(apiAddress: String, clusterAddress: String, now: Date = Date()) throws -> ClusterRecord {
        let key = P256.Signing.PrivateKey()
        let name = "fw-" + UUID().uuidString.lowercased()
        let subject = try DistinguishedName { CommonName(name) }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            Critical(KeyUsage(digitalSignature: true, keyAgreement: true, keyCertSign: true))
            try ExtendedKeyUsage([.serverAuth, .clientAuth])
            SubjectAlternativeNames([.dnsName(name)])
        }
        var serial = [UInt8](repeating: 0, count: 16)
        for index in serial.indices { serial[index] = UInt8.random(in: 0...255) }
        serial[0] &= 0x7F
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(bytes: serial), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: .init(key))
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        let pem = PEMDocument(type: "CERTIFICATE", derBytes: serializer.serializedBytes).pemString
        return ClusterRecord(apiAddress: apiAddress, clusterAddress: clusterAddress, certificate: pem, privateKey: key.pemRepresentation)
    }

    /// The active's side: present the cluster certificate, require the peer to present it too.
    static func serverConfiguration(_ record: ClusterRecord) throws -> TLSConfiguration {
        let (certificate, key) = try material(record)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv13
        configuration.certificateVerification = .noHostnameVerification
        configuration.trustRoots = .certificates([certificate])
        return configuration
    }

    /// A standby's side: the same certificate as client identity, and the only trusted root.
    /// Host names are not checked: the pinned self-signed certificate is the whole trust.
    static func clientConfiguration(_ record: ClusterRecord) throws -> TLSConfiguration {
        let (certificate, key) = try material(record)
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv13
        configuration.certificateChain = [.certificate(certificate)]
        configuration.privateKey = .privateKey(key)
        configuration.trustRoots = .certificates([certificate])
        configuration.certificateVerification = .noHostnameVerification
        return configuration
    }

    private static func material(_ record: ClusterRecord) throws -> (NIOSSLCertificate, NIOSSLPrivateKey) {
        (try NIOSSLCertificate(bytes: Array(record.certificate.utf8), format: .pem),
         try NIOSSLPrivateKey(bytes: Array(record.privateKey.utf8), format: .pem))
    }
}

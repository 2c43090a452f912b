import Crypto
import Foundation
import SwiftASN1
import TresorCore
import X509

/// Everything that goes into one certificate, decided by the request handlers (names checked,
/// lifetimes resolved) before anything is signed.
struct PKICertificatePlan: Sendable {
    var subject: DistinguishedName
    var dnsNames: [String] = []
    var emails: [String] = []
    var ipAddresses: [[UInt8]] = []
    var uris: [String] = []
    var otherNames: [PKIOtherSAN] = []
    var notBefore: Date
    var notAfter: Date
    var isCA = false
    /// -1: no path length constraint.
    var maxPathLength = -1
    /// Vault key usage names (`DigitalSignature`, ...); for a CA only `DigitalSignature` adds
    /// to the fixed CertSign and CRLSign.
    var keyUsage: [String] = []
    var extKeyUsages: [ExtendedKeyUsage.Usage] = []
    var basicConstraintsForNonCA = false
    var permittedDNSDomains: [String] = []
    var policyOIDs: [String] = []
    var urls = PKIURLs()
    var subjectKeyID: [UInt8]?
    /// Extensions copied from a CSR (`use_csr_values`, sign-verbatim), added after ours.
    var copiedExtensions: [Certificate.Extension] = []
    var publicKey: Certificate.PublicKey
}

enum PKICertificateFactory {
    /// Signs `plan` with `key`: self-signed when `issuer` is nil, else under that CA.
    static func sign(_ plan: PKICertificatePlan, key: PKIPrivateKey, issuer: Certificate?, signatureBits: Int64) throws -> Certificate {
        let ski = plan.subjectKeyID.map { SubjectKeyIdentifier(keyIdentifier: ArraySlice($0)) } ?? SubjectKeyIdentifier(hash: plan.publicKey)
        let authorityKeyID: ArraySlice<UInt8>
        if let issuer {
            authorityKeyID = try issuer.extensions.subjectKeyIdentifier?.keyIdentifier ?? SubjectKeyIdentifier(hash: issuer.publicKey).keyIdentifier
        } else {
            authorityKeyID = ski.keyIdentifier
        }
        var extensions = Certificate.Extensions()
        if let usage = keyUsage(plan) { try extensions.append(Certificate.Extension(usage, critical: true)) }
        if !plan.extKeyUsages.isEmpty {
            try extensions.append(Certificate.Extension(try ExtendedKeyUsage(uniqued(plan.extKeyUsages)), critical: false))
        }
        if plan.isCA {
            let bc = BasicConstraints.isCertificateAuthority(maxPathLength: plan.maxPathLength < 0 ? nil : plan.maxPathLength)
            try extensions.append(Certificate.Extension(bc, critical: true))
        } else if plan.basicConstraintsForNonCA {
            try extensions.append(Certificate.Extension(BasicConstraints.notCertificateAuthority, critical: true))
        }
        try extensions.append(Certificate.Extension(ski, critical: false))
        try extensions.append(Certificate.Extension(AuthorityKeyIdentifier(keyIdentifier: authorityKeyID), critical: false))
        let access = plan.urls.ocspServers.map { AuthorityInformationAccess.AccessDescription(method: .ocspServer, location: .uniformResourceIdentifier($0)) }
            + plan.urls.issuingCertificates.map { AuthorityInformationAccess.AccessDescription(method: .issuingCA, location: .uniformResourceIdentifier($0)) }
        if !access.isEmpty { try extensions.append(Certificate.Extension(AuthorityInformationAccess(access), critical: false)) }
        let names = try subjectAlternativeNames(plan)
        let sanCritical = plan.subject.isEmpty
        if !names.isEmpty && plan.otherNames.isEmpty {
            try extensions.append(Certificate.Extension(SubjectAlternativeNames(names), critical: sanCritical))
        }
        if !plan.permittedDNSDomains.isEmpty {
            try extensions.append(Certificate.Extension(NameConstraints(permittedDNSDomains: plan.permittedDNSDomains), critical: true))
        }
        if !plan.policyOIDs.isEmpty { try extensions.append(try policies(plan.policyOIDs)) }
        if !plan.urls.crlDistributionPoints.isEmpty {
            try extensions.append(try distributionPoints([2, 5, 29, 31], plan.urls.crlDistributionPoints))
        }
        if !plan.urls.deltaCRLDistributionPoints.isEmpty {
            try extensions.append(try distributionPoints([2, 5, 29, 46], plan.urls.deltaCRLDistributionPoints))
        }
        if !names.isEmpty && !plan.otherNames.isEmpty {
            try extensions.append(Certificate.Extension(SubjectAlternativeNames(names), critical: sanCritical))
        }
        for copied in plan.copiedExtensions where extensions[oid: copied.oid] == nil {
            try extensions.append(copied)
        }
        return try Certificate(
            version: .v3, serialNumber: PKISerial.random(), publicKey: plan.publicKey,
            notValidBefore: plan.notBefore, notValidAfter: plan.notAfter,
            issuer: issuer?.subject ?? plan.subject, subject: plan.subject,
            signatureAlgorithm: signatureAlgorithm(key, bits: signatureBits), extensions: extensions,
            issuerPrivateKey: key.certificateKey)
    }

    /// The signer's key decides: RSA takes SHA-256 unless `signature_bits` asks for 384 or
    /// 512; an EC key hashes by its curve; Ed25519 is pure.
    static func signatureAlgorithm(_ key: PKIPrivateKey, bits: Int64) -> Certificate.SignatureAlgorithm {
        switch key {
        case .rsa: bits == 384 ? .sha384WithRSAEncryption : bits == 512 ? .sha512WithRSAEncryption : .sha256WithRSAEncryption
        case .p256: .ecdsaWithSHA256
        case .p384: .ecdsaWithSHA384
        case .p521: .ecdsaWithSHA512
        case .ed25519: .ed25519
        }
    }

    /// Vault's names for `revocation_signature_algorithm`.
    static func signatureAlgorithmName(_ algorithm: Certificate.SignatureAlgorithm) -> String {
        switch algorithm {
        case .sha256WithRSAEncryption: "SHA256WithRSA"
        case .sha384WithRSAEncryption: "SHA384WithRSA"
        case .sha512WithRSAEncryption: "SHA512WithRSA"
        case .ecdsaWithSHA256: "ECDSAWithSHA256"
        case .ecdsaWithSHA384: "ECDSAWithSHA384"
        case .ecdsaWithSHA512: "ECDSAWithSHA512"
        case .ed25519: "Ed25519"
        default: ""
        }
    }

    static func keyUsage(_ plan: PKICertificatePlan) -> KeyUsage? {
        let names = Set(plan.keyUsage.map { String($0.filter { $0 != " " }).lowercased() })
        var usage = KeyUsage()
        if plan.isCA {
            usage.keyCertSign = true
            usage.cRLSign = true
            usage.digitalSignature = names.contains("digitalsignature")
            return usage
        }
        usage.digitalSignature = names.contains("digitalsignature")
        usage.nonRepudiation = names.contains("contentcommitment")
        usage.keyEncipherment = names.contains("keyencipherment")
        usage.dataEncipherment = names.contains("dataencipherment")
        usage.keyAgreement = names.contains("keyagreement")
        usage.keyCertSign = names.contains("certsign")
        usage.cRLSign = names.contains("crlsign")
        usage.encipherOnly = names.contains("encipheronly")
        usage.decipherOnly = names.contains("decipheronly")
        return usage == KeyUsage() ? nil : usage
    }

    /// Extended key usages from a role's flags, its `ext_key_usage` names and OIDs, in Go's order.
    static func extKeyUsages(server: Bool, client: Bool, codeSigning: Bool, email: Bool, names: [String], oids: [String]) throws -> [ExtendedKeyUsage.Usage] {
        let wanted = Set(names.map { $0.lowercased() })
        let table: [(String, ExtendedKeyUsage.Usage)] = [
            ("any", .any), ("serverauth", .serverAuth), ("clientauth", .clientAuth), ("codesigning", .codeSigning),
            ("emailprotection", .emailProtection), ("ipsecendsystem", .init(oid: [1, 3, 6, 1, 5, 5, 7, 3, 5])),
            ("ipsectunnel", .init(oid: [1, 3, 6, 1, 5, 5, 7, 3, 6])), ("ipsecuser", .init(oid: [1, 3, 6, 1, 5, 5, 7, 3, 7])),
            ("timestamping", .timeStamping), ("ocspsigning", .ocspSigning),
            ("microsoftservergatedcrypto", .init(oid: [1, 3, 6, 1, 4, 1, 311, 10, 3, 3])),
            ("netscapeservergatedcrypto", .init(oid: [2, 16, 840, 1, 113730, 4, 1])),
        ]
        var out: [ExtendedKeyUsage.Usage] = []
        for (name, usage) in table {
            let flagged = (name == "serverauth" && server) || (name == "clientauth" && client)
                || (name == "codesigning" && codeSigning) || (name == "emailprotection" && email)
            if flagged || wanted.contains(name) { out.append(usage) }
        }
        for oid in oids { out.append(ExtendedKeyUsage.Usage(oid: try ASN1ObjectIdentifier(dotRepresentation: oid))) }
        return out
    }

    private static func uniqued(_ usages: [ExtendedKeyUsage.Usage]) -> [ExtendedKeyUsage.Usage] {
        var seen: [ExtendedKeyUsage.Usage] = []
        for usage in usages where !seen.contains(usage) { seen.append(usage) }
        return seen
    }

    /// Other names first when there are any (as Vault writes them), then DNS, email, IP, URI.
    static func subjectAlternativeNames(_ plan: PKICertificatePlan) throws -> [GeneralName] {
        var names: [GeneralName] = []
        for other in plan.otherNames {
            let value = try ASN1Any(erasing: ASN1UTF8String(other.value))
            names.append(.otherName(.init(typeID: try ASN1ObjectIdentifier(dotRepresentation: other.oid), value: value)))
        }
        names += plan.dnsNames.map { .dnsName($0) }
        names += plan.emails.map { .rfc822Name($0) }
        names += plan.ipAddresses.map { .ipAddress(ASN1OctetString(contentBytes: ArraySlice($0))) }
        names += plan.uris.map { .uniformResourceIdentifier($0) }
        return names
    }

    /// CRL distribution points (2.5.29.31) or freshest CRL (2.5.29.46): one full-name URI per
    /// point (RFC 5280 4.2.1.13). X509 has no type for either.
    static func distributionPoints(_ oid: ASN1ObjectIdentifier, _ uris: [String]) throws -> Certificate.Extension {
        let tag0 = ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { s in
            for uri in uris {
                try s.appendConstructedNode(identifier: .sequence) { s in
                    try s.appendConstructedNode(identifier: tag0) { s in
                        try s.appendConstructedNode(identifier: tag0) { s in try s.serialize(GeneralName.uniformResourceIdentifier(uri)) }
                    }
                }
            }
        }
        return Certificate.Extension(oid: oid, critical: false, value: serializer.serializedBytes[...])
    }

    /// Certificate policies (2.5.29.32): a PolicyInformation with only the identifier per OID.
    static func policies(_ oids: [String]) throws -> Certificate.Extension {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { s in
            for oid in oids {
                try s.appendConstructedNode(identifier: .sequence) { s in try s.serialize(try ASN1ObjectIdentifier(dotRepresentation: oid)) }
            }
        }
        return Certificate.Extension(oid: [2, 5, 29, 32], critical: false, value: serializer.serializedBytes[...])
    }
}

/// Builds subjects in Go's attribute order (C, ST, L, street, postal code, O, OU, CN, serial
/// number, then UIDs), each multi-valued field in one RDN, PrintableString where it fits.
enum PKISubjectBuilder {
    static func make(commonName: String, fields: PKISubjectFields, serialNumber: String = "", userIDs: [String] = []) throws -> DistinguishedName {
        var rdns: [RelativeDistinguishedName] = []
        func add(_ oid: ASN1ObjectIdentifier, _ values: [String]) throws {
            let values = values.filter { !$0.isEmpty }
            guard !values.isEmpty else { return }
            rdns.append(RelativeDistinguishedName(try values.map { try attribute(oid, $0) }))
        }
        try add(.RDNAttributeType.countryName, fields.country)
        try add(.RDNAttributeType.stateOrProvinceName, fields.province)
        try add(.RDNAttributeType.localityName, fields.locality)
        try add(.RDNAttributeType.streetAddress, fields.streetAddress)
        try add([2, 5, 4, 17], fields.postalCode)
        try add(.RDNAttributeType.organizationName, fields.organization)
        try add(.RDNAttributeType.organizationalUnitName, fields.ou)
        try add(.RDNAttributeType.commonName, [commonName])
        try add(.NameAttributes.serialNumber, [serialNumber])
        for uid in userIDs where !uid.isEmpty {
            rdns.append(RelativeDistinguishedName(try attribute([0, 9, 2342, 19200300, 100, 1, 1], uid)))
        }
        return DistinguishedName(rdns)
    }

    private static func attribute(_ oid: ASN1ObjectIdentifier, _ value: String) throws -> RelativeDistinguishedName.Attribute {
        let printable = value.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || " '()+,-./:=?".utf8.contains(b)
        }
        if printable, let attribute = try? RelativeDistinguishedName.Attribute(type: oid, printableString: value) { return attribute }
        return RelativeDistinguishedName.Attribute(type: oid, utf8String: value)
    }

    static func commonName(_ name: DistinguishedName?) -> String {
        guard let name else { return "" }
        for rdn in name {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                if let text = String(attribute.value) { return text }
            }
        }
        return ""
    }
}

/// PEM and DER forms of certificates as Vault's responses give them.
enum PKIEncoding {
    static func pem(_ certificate: Certificate) throws -> String {
        PEM.encode("CERTIFICATE", try der(certificate))
    }

    static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    static func encode(_ certificate: Certificate, _ format: PKIFormat) throws -> String {
        format == .der ? Data(try der(certificate)).base64EncodedString() : try pem(certificate)
    }

    /// A stored PEM without its final newline, as responses give them.
    static func trimmed(_ pem: String) -> String {
        var text = Substring(pem)
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }

    static func parsePEM(_ pem: String) throws(TresorError) -> Certificate {
        guard let document = PKIPEM.single(pem) else { throw .badRequest("certificate could not be PEM-decoded") }
        do { return try Certificate(derEncoded: document.derBytes) } catch {
            throw .badRequest("error parsing certificate: \(error)")
        }
    }

    static func isCA(_ certificate: Certificate) -> Bool {
        if case .isCertificateAuthority? = try? certificate.extensions.basicConstraints { return true }
        return false
    }
}

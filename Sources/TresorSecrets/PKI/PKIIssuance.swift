import Foundation
import SwiftASN1
import TresorCore
import X509

/// Turns an issue or sign request into a certificate plan under a role: names checked against
/// the role in Vault's order (and with Vault's messages), lifetime resolved and capped.
struct PKIIssuance {
    let role: PKIRole
    let fields: FieldData
    let csr: CertificateSigningRequest?
    /// sign-verbatim and sign-intermediate copy the CSR's subject and extensions.
    var useCSRValues = false
    /// sign-intermediate: no `common_name` means the CSR's.
    var commonNameFromCSR = false
    var warnings: [String] = []

    init(role: PKIRole, fields: FieldData, csr: CertificateSigningRequest?) {
        self.role = role
        self.fields = fields
        self.csr = csr
    }

    static let requestFields: [FieldSpec] = [
        FieldSpec("common_name", .string), FieldSpec("alt_names", .string), FieldSpec("ip_sans", .commaStringSlice),
        FieldSpec("uri_sans", .commaStringSlice), FieldSpec("other_sans", .commaStringSlice), FieldSpec("ttl", .duration),
        FieldSpec("not_after", .string), FieldSpec("not_before", .string), FieldSpec("format", .string, default: "pem"),
        FieldSpec("private_key_format", .string, default: "der"), FieldSpec("exclude_cn_from_sans", .bool),
        FieldSpec("remove_roots_from_chain", .bool), FieldSpec("user_ids", .commaStringSlice), FieldSpec("serial_number", .string),
        FieldSpec("issuer_ref", .string), FieldSpec("key_type", .string), FieldSpec("key_bits", .int), FieldSpec("csr", .string),
        FieldSpec("key_usage", .commaStringSlice, default: ["DigitalSignature", "KeyAgreement", "KeyEncipherment"]),
        FieldSpec("ext_key_usage", .commaStringSlice), FieldSpec("ext_key_usage_oids", .commaStringSlice),
        FieldSpec("signature_bits", .int), FieldSpec("use_pss", .bool), FieldSpec("basic_constraints_valid_for_non_ca", .bool),
        FieldSpec("role", .string), FieldSpec("name", .string),
    ]

    /// The parsed and signature-checked CSR of a sign request.
    static func parseCSR(_ fields: FieldData, role: PKIRole?) throws(TresorError) -> CertificateSigningRequest {
        let text = try fields.string("csr").trimmingWhitespace()
        guard !text.isEmpty else { throw .badRequest("\"csr\" is empty") }
        guard let document = PKIPEM.single(text) else { throw .badRequest("csr contains no data") }
        let csr: CertificateSigningRequest
        do { csr = try CertificateSigningRequest(derEncoded: document.derBytes) } catch {
            // swift-crypto refuses small RSA keys while parsing; say so as Vault does.
            if let bits = PKIKeyParameters.rsaModulusBits(csr: document.derBytes), bits < 2048 {
                throw .badRequest("RSA keys < 2048 bits are unsafe and not supported")
            }
            throw .badRequest("certificate request could not be parsed: \(PKIIssuance.describe(error))")
        }
        guard let (type, bits) = PKIKeyParameters.describe(csr.publicKey) else { throw .badRequest("Unknown key type in CSR") }
        if type == "rsa" && bits < 2048 { throw .badRequest("OpenBao requires a minimum of a 2048-bit key, but CSR's key is \(bits) bits") }
        if let role, role.keyType != "any" {
            guard role.keyType == type else { throw .badRequest("role requires keys of type \(role.keyType)") }
            if type != "ed25519" && bits < role.keyBits {
                throw .badRequest("role requires a minimum of a \(role.keyBits)-bit key, but CSR's key is \(bits) bits")
            }
        }
        guard csr.publicKey.isValidSignature(csr.signature, for: csr) else { throw .badRequest("request signature invalid") }
        return csr
    }

    /// The plan for a leaf (or, with `isCA`, for sign-intermediate), and the warnings to give.
    mutating func plan(publicKey: Certificate.PublicKey, issuer: PKIIssuerEntry?, issuerCertificate: Certificate?,
                       ttl: TTLDefaults, urls: PKIURLs, now: Date, isCA: Bool = false) throws -> PKICertificatePlan {
        let policy = PKINamePolicy(role: role)
        let requested = try fields.string("common_name")
        var cn = requested
        let csrExtensions = try csr?.attributes.extensionRequest?.extensions ?? Certificate.Extensions()
        if let csr, role.useCSRCommonName || useCSRValues {
            if !requested.isEmpty && !useCSRValues && role.useCSRCommonName {
                warnings.append("the common_name field was provided but the role is set with \"use_csr_common_name\" set to true")
            }
            if !useCSRValues || requested.isEmpty { cn = PKISubjectBuilder.commonName(csr.subject) }
        }
        if cn.isEmpty && commonNameFromCSR, let csr { cn = PKISubjectBuilder.commonName(csr.subject) }
        if cn.isEmpty && role.requireCN && !useCSRValues {
            throw TresorError.badRequest("the common_name field is required, or must be provided in a CSR with \"use_csr_common_name\" set to true, unless \"require_cn\" is set to false")
        }

        var dnsNames: [String] = [], emails: [String] = [], ipTexts: [String] = [], ipBytes: [[UInt8]] = [], uris: [String] = []
        var others: [PKIOtherSAN] = []
        let fromCSR = csr != nil && (role.useCSRSANs || useCSRValues)
        if fromCSR {
            if try fields.string("alt_names").isEmpty == false && !useCSRValues {
                warnings.append("the alt_names field was provided but the role is set with \"use_csr_sans\" set to true")
            }
            for name in try csrExtensions.subjectAlternativeNames ?? SubjectAlternativeNames() {
                switch name {
                case .dnsName(let dns): dnsNames.append(dns)
                case .rfc822Name(let email): emails.append(email)
                case .ipAddress(let octets): ipBytes.append(Array(octets.bytes))
                case .uniformResourceIdentifier(let uri): uris.append(uri)
                case .otherName(let other):
                    if let value = other.value, let text = try? ASN1UTF8String(asn1Any: value) {
                        others.append(PKIOtherSAN(oid: other.typeID.description, value: String(text)))
                    }
                default: break
                }
            }
        } else {
            for name in try fields.string("alt_names").split(separator: ",").map({ $0.trimmingWhitespace() }) where !name.isEmpty {
                if name.utf8.contains(UInt8(ascii: "@")) { emails.append(name) } else { dnsNames.append(name) }
            }
            ipTexts = try fields.strings("ip_sans")
            uris = try fields.strings("uri_sans")
            for text in try fields.strings("other_sans") {
                others.append(try PKIOtherSAN.parse(text, context: "could not parse requested other SAN"))
            }
        }
        let excludeCN = try fields.bool("exclude_cn_from_sans")
        if !cn.isEmpty && !excludeCN {
            if cn.utf8.contains(UInt8(ascii: "@")) {
                emails.insert(cn, at: 0)
            } else if PKINamePolicy.isHostname(cn) || (cn.hasPrefix("*.") && PKINamePolicy.isHostname(String(cn.dropFirst(2)))) {
                dnsNames.insert(cn, at: 0)
            }
        }
        let total = dnsNames.count + emails.count + ipTexts.count + ipBytes.count + uris.count + others.count
        if total > Self.maxNames {
            throw TresorError.badRequest("too many subject alternative names (\(total)); Tresor puts at most \(Self.maxNames) in one certificate")
        }
        dnsNames = Self.uniqued(dnsNames)
        emails = Self.uniqued(emails).sorted()

        if !cn.isEmpty && !policy.allowsCommonName(cn) { throw TresorError.badRequest("common name \(cn) not allowed by this role") }
        let subjectSerial = try fields.string("serial_number")
        if !subjectSerial.isEmpty && !role.allowedSerialNumbers.isEmpty
            && !role.allowedSerialNumbers.contains(where: { $0 == subjectSerial || ($0.utf8.contains(UInt8(ascii: "*")) && PKIGlob.matches($0, subjectSerial)) }) {
            throw TresorError.badRequest("serial_number \(subjectSerial) not allowed by this role")
        }
        if let refused = policy.firstRefused(dnsNames) { throw TresorError.badRequest("subject alternate name \(refused) not allowed by this role") }
        if let refused = policy.firstRefused(emails) { throw TresorError.badRequest("email address \(refused) not allowed by this role") }
        for other in others where role.allowedOtherSANs != ["*"] {
            let permitted = try role.allowedOtherSANs.map { try PKIOtherSAN.parse($0, context: "error parsing allowed_other_sans") }
            let sameOID = permitted.filter { $0.oid == other.oid || $0.oid == "*" }
            if sameOID.isEmpty { throw TresorError.badRequest("other SAN OID \(other.oid) not allowed by this role") }
            if !sameOID.contains(where: { PKIGlob.matches($0.value, other.value) }) {
                throw TresorError.badRequest("other SAN \(other.value) not allowed for OID \(other.oid) by this role")
            }
        }
        for text in ipTexts {
            guard let bytes = CIDR.address(text) else { throw TresorError.badRequest("the value \"\(text)\" is not a valid IP address") }
            ipBytes.append(Self.compactIPv4(bytes))
        }
        if !ipBytes.isEmpty {
            if !role.allowIPSANs {
                throw TresorError.badRequest("IP Subject Alternative Names are not allowed in this role, but was provided via \(fromCSR ? "CSR" : "the API")")
            }
            // Checked for IPs from a CSR as well as from the request (GHSA-g892-p242-8g86).
            if !role.allowedIPSANsCIDR.isEmpty {
                for bytes in ipBytes where !role.allowedIPSANsCIDR.contains(where: { Self.cidr($0, contains: bytes) }) {
                    throw TresorError.badRequest("the IP address \"\(Self.ipText(bytes))\" is not allowed in this role")
                }
            }
        }
        if !uris.isEmpty {
            if role.allowedURISANs.isEmpty {
                throw TresorError.badRequest("URI Subject Alternative Names are not allowed in this role, but were provided via \(fromCSR ? "CSR" : "the API")")
            }
            for uri in uris {
                guard let parsed = URL(string: uri), parsed.scheme != nil else {
                    throw TresorError.badRequest("the provided URI Subject Alternative Name \"\(uri)\" is not a valid URI")
                }
                if !role.allowedURISANs.contains(where: { PKIGlob.matches($0, uri) }) {
                    throw TresorError.badRequest("URI Subject Alternative Names were provided via \(fromCSR ? "CSR" : "the API") which are not valid for this role")
                }
            }
        }
        let userIDs = try fields.strings("user_ids")
        for uid in userIDs where !role.allowedUserIDs.contains(where: { $0 == "*" || $0.caseInsensitiveEquals(uid) || ($0.utf8.contains(UInt8(ascii: "*")) && PKIGlob.matches($0, uid)) }) {
            throw TresorError.badRequest("user_id \(uid) is not allowed by this role")
        }

        let (notBefore, notAfter) = try lifetime(issuer: issuer, issuerCertificate: issuerCertificate, ttl: ttl, now: now,
                                                 permitBeyondIssuer: isCA)
        let subject: DistinguishedName
        if useCSRValues, let csr {
            subject = csr.subject
        } else {
            subject = try PKISubjectBuilder.make(commonName: cn, fields: role.subject, serialNumber: subjectSerial, userIDs: userIDs)
        }
        var plan = PKICertificatePlan(subject: subject, dnsNames: dnsNames, emails: emails, ipAddresses: ipBytes, uris: uris,
                                      otherNames: others, notBefore: notBefore, notAfter: notAfter, publicKey: publicKey)
        plan.isCA = isCA
        plan.keyUsage = role.keyUsage
        plan.extKeyUsages = try PKICertificateFactory.extKeyUsages(
            server: role.serverFlag, client: role.clientFlag, codeSigning: role.codeSigningFlag, email: role.emailProtectionFlag,
            names: role.extKeyUsage, oids: role.extKeyUsageOIDs)
        plan.basicConstraintsForNonCA = role.basicConstraintsValidForNonCA
        plan.policyOIDs = role.policyIdentifiers
        plan.urls = urls
        if useCSRValues {
            let kept: Set<ASN1ObjectIdentifier> = [.X509ExtensionID.basicConstraints, .X509ExtensionID.subjectAlternativeName]
            plan.copiedExtensions = csrExtensions.filter { !kept.contains($0.oid) }
        }
        if csrExtensions.contains(where: { $0.oid == .X509ExtensionID.basicConstraints }) && !useCSRValues && !isCA {
            warnings.append("specified CSR contained a Basic Constraints extension that was ignored during issuance")
        }
        return plan
    }

    /// Vault's `getCertificateNotAfter`: request TTL or `not_after`, else the role's, else the
    /// mount's; capped by the role's (or mount's) max with a warning; and held within the
    /// issuer's own validity as its `leaf_not_after_behavior` says.
    mutating func lifetime(issuer: PKIIssuerEntry?, issuerCertificate: Certificate?, ttl: TTLDefaults, now: Date,
                           permitBeyondIssuer: Bool) throws -> (Date, Date) {
        var requestTTL = try fields.duration("ttl")
        let notAfterText = try fields.has("not_after") ? fields.string("not_after") : role.notAfter
        var explicitNotAfter: Date?
        if !notAfterText.isEmpty {
            if role.notAfterBound == "forbid" && fields.has("not_after") {
                throw TresorError.badRequest("not_after_bound is set to forbid. not_after cannot be provided.")
            }
            if requestTTL > 0 {
                throw TresorError.badRequest("Either ttl or not_after should be provided. Both should not be provided in the same request.")
            }
            guard let date = PKITime.parseRFC3339(notAfterText) else {
                throw TresorError.badRequest("parsing time \"\(notAfterText)\" as \"2006-01-02T15:04:05Z07:00\": cannot parse")
            }
            explicitNotAfter = date
        }
        if requestTTL == 0 && role.ttl > 0 { requestTTL = role.ttl }
        let maxTTL = role.maxTTL > 0 ? role.maxTTL : ttl.maxTTL
        if requestTTL == 0 { requestTTL = ttl.defaultTTL }
        if requestTTL > maxTTL && explicitNotAfter == nil {
            warnings.append("TTL \"\(GoFormat.duration(requestTTL))\" is longer than permitted maxTTL \"\(GoFormat.duration(maxTTL))\", so maxTTL is being used")
            requestTTL = maxTTL
        }
        let start = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        var notAfter = explicitNotAfter ?? start.addingTimeInterval(TimeInterval(requestTTL))
        notAfter = Date(timeIntervalSince1970: notAfter.timeIntervalSince1970.rounded(.down))
        if let issuerCertificate, notAfter > issuerCertificate.notValidAfter, !permitBeyondIssuer {
            switch issuer?.leafNotAfterBehavior ?? "err" {
            case "truncate":
                notAfter = issuerCertificate.notValidAfter
                if notAfter < now { throw TresorError.badRequest("cannot satisfy request, as NotAfter date \(GoFormat.time(notAfter)) is in the past") }
            case "permit":
                break
            default:
                throw TresorError.badRequest("cannot satisfy request, as TTL would result in notAfter of \(GoFormat.time(notAfter)) that is beyond the expiration of the CA certificate at \(GoFormat.time(issuerCertificate.notValidAfter))")
            }
        }
        let notBefore = start.addingTimeInterval(-TimeInterval(role.notBeforeDuration))
        if notBefore >= notAfter {
            let relation = notBefore == notAfter ? "is equal to" : "is later than"
            throw TresorError.badRequest("The certificate's Not Before (\(GoFormat.time(notBefore))) \(relation) the certificate's Not After (\(GoFormat.time(notAfter)))")
        }
        return (notBefore, notAfter)
    }

    /// More names than any real certificate carries (public CAs allow 100): a bound on the work
    /// and the size of one request's certificate.
    static let maxNames = 1000

    /// A parse error for a client: what went wrong, without the library's source locations.
    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.split(separator: " ").filter { !$0.contains(".swift:") }.joined(separator: " ")
    }

    static func uniqued(_ names: [String]) -> [String] {
        var seen: Set<String> = []
        return names.filter { seen.insert($0).inserted }
    }

    /// An IPv4-mapped IPv6 address is written as four bytes, as Go does.
    static func compactIPv4(_ bytes: [UInt8]) -> [UInt8] {
        if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff { return Array(bytes[12...]) }
        return bytes
    }

    static func ipText(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: bytes.count, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
    }

    static func cidr(_ block: String, contains bytes: [UInt8]) -> Bool {
        CIDR.contains(block, address: ipText(bytes))
    }
}

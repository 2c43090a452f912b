import Foundation
import SwiftASN1
import TresorCore

/// A role: which names, keys, lifetimes and extensions `issue` and `sign` may produce. Stored at
/// `roles/<name>` as the JSON a read returns.
struct PKIRole: Sendable {
    var ttl: Int64 = 0
    var maxTTL: Int64 = 0
    var allowLocalhost = true
    var allowedDomains: [String] = []
    var allowBareDomains = false
    var allowSubdomains = false
    var allowGlobDomains = false
    var allowWildcardCertificates = true
    var allowAnyName = false
    var enforceHostnames = true
    var allowIPSANs = true
    var allowedIPSANsCIDR: [String] = []
    var allowedURISANs: [String] = []
    var allowedOtherSANs: [String] = []
    var allowedSerialNumbers: [String] = []
    var allowedUserIDs: [String] = []
    var serverFlag = true
    var clientFlag = true
    var codeSigningFlag = false
    var emailProtectionFlag = false
    var keyType = "rsa"
    var keyBits = 2048
    var signatureBits: Int64 = 0
    var usePSS = false
    var keyUsage = ["DigitalSignature", "KeyAgreement", "KeyEncipherment"]
    var extKeyUsage: [String] = []
    var extKeyUsageOIDs: [String] = []
    var useCSRCommonName = true
    var useCSRSANs = true
    var subject = PKISubjectFields()
    var generateLease = false
    var noStore = false
    var requireCN = true
    var cnValidations = ["email", "hostname"]
    var policyIdentifiers: [String] = []
    var basicConstraintsValidForNonCA = false
    var notBeforeDuration: Int64 = 30
    var notAfter = ""
    var notBeforeBound = "permit"
    var notAfterBound = "permit"
    var issuerRef = "default"

    /// The role `sign-verbatim` and `root/sign-intermediate` act under: any name, any key.
    static var permissive: PKIRole {
        var role = PKIRole()
        role.allowAnyName = true
        role.enforceHostnames = false
        role.keyType = "any"
        role.keyBits = 0
        role.cnValidations = ["disabled"]
        role.allowedURISANs = ["*"]
        role.allowedOtherSANs = ["*"]
        role.allowedSerialNumbers = ["*"]
        role.allowedUserIDs = ["*"]
        role.serverFlag = false
        role.clientFlag = false
        role.keyUsage = []
        return role
    }

    static let fields: [FieldSpec] = [
        FieldSpec("ttl", .duration), FieldSpec("max_ttl", .duration), FieldSpec("allow_localhost", .bool, default: true),
        FieldSpec("allowed_domains", .commaStringSlice), FieldSpec("allowed_domains_template", .bool),
        FieldSpec("allow_bare_domains", .bool), FieldSpec("allow_subdomains", .bool), FieldSpec("allow_glob_domains", .bool),
        FieldSpec("allow_wildcard_certificates", .bool, default: true), FieldSpec("allow_any_name", .bool),
        FieldSpec("enforce_hostnames", .bool, default: true), FieldSpec("allow_ip_sans", .bool, default: true),
        FieldSpec("allowed_ip_sans_cidr", .commaStringSlice), FieldSpec("allowed_uri_sans", .commaStringSlice),
        FieldSpec("allowed_uri_sans_template", .bool), FieldSpec("allowed_other_sans", .commaStringSlice),
        FieldSpec("allowed_serial_numbers", .commaStringSlice), FieldSpec("allowed_user_ids", .commaStringSlice),
        FieldSpec("allow_globs_in_identity_templates", .bool),
        FieldSpec("server_flag", .bool, default: true), FieldSpec("client_flag", .bool, default: true),
        FieldSpec("code_signing_flag", .bool), FieldSpec("email_protection_flag", .bool),
        FieldSpec("key_type", .string, default: "rsa"), FieldSpec("key_bits", .int), FieldSpec("signature_bits", .int),
        FieldSpec("use_pss", .bool),
        FieldSpec("key_usage", .commaStringSlice, default: ["DigitalSignature", "KeyAgreement", "KeyEncipherment"]),
        FieldSpec("ext_key_usage", .commaStringSlice), FieldSpec("ext_key_usage_oids", .commaStringSlice),
        FieldSpec("use_csr_common_name", .bool, default: true), FieldSpec("use_csr_sans", .bool, default: true),
        FieldSpec("generate_lease", .bool), FieldSpec("no_store", .bool), FieldSpec("require_cn", .bool, default: true),
        FieldSpec("cn_validations", .commaStringSlice, default: ["email", "hostname"]),
        FieldSpec("policy_identifiers", .commaStringSlice), FieldSpec("basic_constraints_valid_for_non_ca", .bool),
        FieldSpec("not_before_duration", .duration, default: 30), FieldSpec("not_after", .string),
        FieldSpec("not_before_bound", .string, default: "permit"), FieldSpec("not_after_bound", .string, default: "permit"),
        FieldSpec("issuer_ref", .string, default: "default"), FieldSpec("name", .string),
    ] + PKISubjectFields.fields

    /// A role from a write's fields, unset ones taking their defaults (a write replaces the
    /// role). Returns the role and the warnings Vault gives.
    static func from(_ fields: FieldData) throws(TresorError) -> (PKIRole, [String]) {
        var role = PKIRole()
        var warnings: [String] = []
        role.ttl = try fields.duration("ttl")
        role.maxTTL = try fields.duration("max_ttl")
        if role.maxTTL > 0 && role.ttl > role.maxTTL { throw .badRequest("\"ttl\" value must be less than \"max_ttl\" value") }
        role.allowLocalhost = try fields.bool("allow_localhost")
        role.allowedDomains = try fields.strings("allowed_domains")
        let domainsTemplated = try fields.bool("allowed_domains_template"), urisTemplated = try fields.bool("allowed_uri_sans_template")
        if domainsTemplated || urisTemplated {
            throw .badRequest("identity templates in allowed_domains and allowed_uri_sans are not supported by Tresor yet")
        }
        role.allowBareDomains = try fields.bool("allow_bare_domains")
        role.allowSubdomains = try fields.bool("allow_subdomains")
        role.allowGlobDomains = try fields.bool("allow_glob_domains")
        role.allowWildcardCertificates = try fields.bool("allow_wildcard_certificates")
        role.allowAnyName = try fields.bool("allow_any_name")
        role.enforceHostnames = try fields.bool("enforce_hostnames")
        role.allowIPSANs = try fields.bool("allow_ip_sans")
        role.allowedIPSANsCIDR = try fields.strings("allowed_ip_sans_cidr")
        for block in role.allowedIPSANsCIDR where CIDR.parse(block) == nil || !block.contains("/") {
            throw .badRequest("error parsing allowed_ip_sans_cidr: invalid CIDR address: \(block)")
        }
        role.allowedURISANs = try fields.strings("allowed_uri_sans")
        role.allowedOtherSANs = try fields.strings("allowed_other_sans")
        for entry in role.allowedOtherSANs where entry != "*" {
            _ = try PKIOtherSAN.parse(entry, context: "error parsing allowed_other_sans")
        }
        role.allowedSerialNumbers = try fields.strings("allowed_serial_numbers")
        role.allowedUserIDs = try fields.strings("allowed_user_ids")
        role.serverFlag = try fields.bool("server_flag")
        role.clientFlag = try fields.bool("client_flag")
        role.codeSigningFlag = try fields.bool("code_signing_flag")
        role.emailProtectionFlag = try fields.bool("email_protection_flag")
        role.keyType = try fields.string("key_type")
        role.keyBits = try PKIKeyParameters.validate(type: role.keyType, bits: Int(try fields.int("key_bits")), allowAny: true)
        role.signatureBits = try fields.int("signature_bits")
        role.usePSS = try fields.bool("use_pss")
        if role.usePSS { throw .badRequest("use_pss: RSA-PSS signatures are not supported by Tresor") }
        role.keyUsage = try fields.strings("key_usage")
        role.extKeyUsage = try fields.strings("ext_key_usage")
        role.extKeyUsageOIDs = try fields.strings("ext_key_usage_oids")
        for oid in role.extKeyUsageOIDs where (try? ASN1ObjectIdentifier(dotRepresentation: oid)) == nil {
            throw .badRequest("\"\(oid)\" could not be parsed as a valid oid for an extended key usage")
        }
        role.useCSRCommonName = try fields.bool("use_csr_common_name")
        role.useCSRSANs = try fields.bool("use_csr_sans")
        role.subject = try PKISubjectFields(fields)
        role.noStore = try fields.bool("no_store")
        role.generateLease = try fields.bool("generate_lease")
        if role.generateLease {
            warnings.append("it is encouraged to disable generate_lease and rely on PKI's native capabilities when possible; this option can cause instance-wide issues with large numbers of issued certificates")
        }
        if role.noStore && role.generateLease {
            warnings.append("mutually exclusive values no_store=true and generate_lease=true were both specified; no_store=true takes priority")
            role.generateLease = false
        }
        role.requireCN = try fields.bool("require_cn")
        role.cnValidations = try validateCNValidations(try fields.strings("cn_validations"))
        role.policyIdentifiers = try PKIPolicies.parse(try fields.strings("policy_identifiers"))
        role.basicConstraintsValidForNonCA = try fields.bool("basic_constraints_valid_for_non_ca")
        role.notBeforeDuration = try fields.duration("not_before_duration")
        role.notAfter = try fields.string("not_after")
        role.notBeforeBound = try fields.string("not_before_bound")
        guard ["permit", "duration", "forbid"].contains(role.notBeforeBound) else {
            throw .badRequest("Unknown value for field `not_before_bound`. Possible values are `permit` `duration` or `forbid`")
        }
        role.notAfterBound = try fields.string("not_after_bound")
        guard ["permit", "ttl-limited", "forbid"].contains(role.notAfterBound) || PKITime.parseRFC3339(role.notAfterBound) != nil else {
            throw .badRequest("Unknown value for field `not_after_bound`. Possible values are `permit`, `ttl-limited`, `forbid`, or an explicit timestamp.")
        }
        role.issuerRef = try fields.string("issuer_ref")
        if role.issuerRef.isEmpty { role.issuerRef = "default" }
        return (role, warnings)
    }

    static func validateCNValidations(_ given: [String]) throws(TresorError) -> [String] {
        let values = given.map { $0.lowercased() }
        var seen: Set<String> = []
        for value in values {
            guard ["email", "hostname", "disabled"].contains(value) else {
                throw .internalError("cn_validations value incorrect: unknown type: `\(value)`")
            }
            if value == "disabled" && seen.contains("disabled") {
                throw .internalError("cn_validations value incorrect: `disabled` specified multiple times")
            }
            seen.insert(value)
        }
        if seen.isEmpty { throw .internalError("cn_validations value incorrect: must specify a value (`email` and/or `hostname`) or `disabled`") }
        if seen.contains("disabled") && seen.count > 1 {
            throw .internalError("cn_validations value incorrect: cannot specify `disabled` along with `email` or `hostname`")
        }
        var ordered: [String] = []
        for value in values where !ordered.contains(value) { ordered.append(value) }
        return ordered
    }

    var json: [String: JSONValue] {
        var data: [String: JSONValue] = [
            "ttl": .int(ttl), "max_ttl": .int(maxTTL), "allow_localhost": .bool(allowLocalhost),
            "allowed_domains": JSONValue(allowedDomains), "allowed_domains_template": false,
            "allow_bare_domains": .bool(allowBareDomains), "allow_subdomains": .bool(allowSubdomains),
            "allow_glob_domains": .bool(allowGlobDomains), "allow_wildcard_certificates": .bool(allowWildcardCertificates),
            "allow_any_name": .bool(allowAnyName), "enforce_hostnames": .bool(enforceHostnames), "allow_ip_sans": .bool(allowIPSANs),
            "allowed_ip_sans_cidr": JSONValue(allowedIPSANsCIDR), "allowed_uri_sans": JSONValue(allowedURISANs),
            "allowed_uri_sans_template": false, "allowed_other_sans": JSONValue(allowedOtherSANs),
            "allowed_serial_numbers": JSONValue(allowedSerialNumbers), "allowed_user_ids": JSONValue(allowedUserIDs),
            "allow_globs_in_identity_templates": false, "allow_token_displayname": false,
            "server_flag": .bool(serverFlag), "client_flag": .bool(clientFlag), "code_signing_flag": .bool(codeSigningFlag),
            "email_protection_flag": .bool(emailProtectionFlag), "key_type": .string(keyType), "key_bits": .int(Int64(keyBits)),
            "signature_bits": .int(signatureBits), "use_pss": .bool(usePSS), "key_usage": JSONValue(keyUsage),
            "ext_key_usage": JSONValue(extKeyUsage), "ext_key_usage_oids": JSONValue(extKeyUsageOIDs),
            "use_csr_common_name": .bool(useCSRCommonName), "use_csr_sans": .bool(useCSRSANs),
            "generate_lease": .bool(generateLease), "no_store": .bool(noStore), "require_cn": .bool(requireCN),
            "cn_validations": JSONValue(cnValidations), "policy_identifiers": JSONValue(policyIdentifiers),
            "basic_constraints_valid_for_non_ca": .bool(basicConstraintsValidForNonCA),
            "not_before_duration": .int(notBeforeDuration), "not_after": .string(notAfter), "not_before": "",
            "not_before_bound": .string(notBeforeBound), "not_after_bound": .string(notAfterBound), "issuer_ref": .string(issuerRef),
        ]
        data.merge(subject.json) { a, _ in a }
        return data
    }

    /// A stored role back, through the same checks as a write.
    static func load(_ stored: [String: JSONValue]) throws(TresorError) -> PKIRole {
        try from(FieldData(raw: stored, schema: Dictionary(fields.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }))).0
    }
}

/// Subject attributes a role or a CA request may set: `ou`, `organization`, `country`,
/// `locality`, `province`, `street_address`, `postal_code`.
struct PKISubjectFields: Sendable, Equatable {
    var ou: [String] = []
    var organization: [String] = []
    var country: [String] = []
    var locality: [String] = []
    var province: [String] = []
    var streetAddress: [String] = []
    var postalCode: [String] = []

    static let fields: [FieldSpec] = ["ou", "organization", "country", "locality", "province", "street_address", "postal_code"]
        .map { FieldSpec($0, .commaStringSlice) }

    init() {}

    init(_ fields: FieldData) throws(TresorError) {
        ou = try fields.strings("ou")
        organization = try fields.strings("organization")
        country = try fields.strings("country")
        locality = try fields.strings("locality")
        province = try fields.strings("province")
        streetAddress = try fields.strings("street_address")
        postalCode = try fields.strings("postal_code")
    }

    var json: [String: JSONValue] {
        ["ou": JSONValue(ou), "organization": JSONValue(organization), "country": JSONValue(country), "locality": JSONValue(locality),
         "province": JSONValue(province), "street_address": JSONValue(streetAddress), "postal_code": JSONValue(postalCode)]
    }
}

/// `policy_identifiers`: OIDs, or Vault's JSON list of `{"oid": ...}` objects. Qualifiers (CPS
/// URIs, user notices) are refused rather than dropped.
enum PKIPolicies {
    static func parse(_ given: [String]) throws(TresorError) -> [String] {
        var oids: [String] = []
        let joined = given.joined(separator: ",")
        if joined.hasPrefix("[") {
            guard let list = try? JSONReader.parse(Array(joined.utf8)).arrayValue else {
                throw .badRequest("policy_identifiers: unable to parse the JSON list of policies")
            }
            for item in list {
                guard let object = item.objectValue, let oid = object["oid"]?.stringValue, object.keys.allSatisfy({ $0 == "oid" }) else {
                    throw .badRequest("policy_identifiers: policy qualifiers (cps, notice) are not supported by Tresor; give OIDs only")
                }
                oids.append(oid)
            }
        } else {
            oids = given
        }
        for oid in oids where (try? ASN1ObjectIdentifier(dotRepresentation: oid)) == nil {
            throw .badRequest("policy_identifiers: \"\(oid)\" is not a valid OID")
        }
        return oids
    }
}

/// An other-name SAN, `<oid>;UTF8:<value>` (or `UTF-8`), as roles and requests spell them.
struct PKIOtherSAN: Sendable, Equatable {
    var oid: String
    var value: String

    static func parse(_ text: String, context: String) throws(TresorError) -> PKIOtherSAN {
        let parts = text.split(separator: ";", maxSplits: 1)
        guard parts.count == 2 else { throw .badRequest("\(context): expected a semicolon in other SAN \"\(text)\"") }
        let typed = parts[1].split(separator: ":", maxSplits: 1)
        guard typed.count == 2 else { throw .badRequest("\(context): expected a colon in other SAN \"\(text)\"") }
        let kind = typed[0].lowercased()
        guard kind == "utf8" || kind == "utf-8" else {
            throw .badRequest("\(context): only utf8 other SANs are supported; found non-supported type in other SAN \"\(text)\"")
        }
        let oid = String(parts[0])
        guard oid == "*" || (try? ASN1ObjectIdentifier(dotRepresentation: oid)) != nil else {
            throw .badRequest("\(context): \"\(oid)\" is not a valid OID")
        }
        return PKIOtherSAN(oid: oid, value: String(typed[1]))
    }
}

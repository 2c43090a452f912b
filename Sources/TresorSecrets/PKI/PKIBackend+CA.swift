import Foundation
import SwiftASN1
import TresorCore
import X509

/// Making CAs: roots, intermediates' CSRs, signing intermediates and self-issued certificates.
extension PKIBackend {
    static let caFields: [FieldSpec] = [
        FieldSpec("common_name", .string), FieldSpec("alt_names", .string), FieldSpec("ip_sans", .commaStringSlice),
        FieldSpec("uri_sans", .commaStringSlice), FieldSpec("other_sans", .commaStringSlice), FieldSpec("ttl", .duration),
        FieldSpec("not_after", .string), FieldSpec("not_before_duration", .duration, default: 30),
        FieldSpec("format", .string, default: "pem"), FieldSpec("private_key_format", .string, default: "der"),
        FieldSpec("exclude_cn_from_sans", .bool), FieldSpec("serial_number", .string), FieldSpec("key_type", .string, default: "rsa"),
        FieldSpec("key_bits", .int), FieldSpec("signature_bits", .int), FieldSpec("use_pss", .bool),
        FieldSpec("max_path_length", .int, default: -1), FieldSpec("permitted_dns_domains", .commaStringSlice),
        FieldSpec("key_usage", .commaStringSlice), FieldSpec("ext_key_usage", .commaStringSlice),
        FieldSpec("ext_key_usage_oids", .commaStringSlice), FieldSpec("issuer_name", .string), FieldSpec("key_name", .string),
        FieldSpec("key_ref", .string, default: "default"), FieldSpec("external_key_ref", .string), FieldSpec("managed_key_name", .string),
        FieldSpec("managed_key_id", .string), FieldSpec("add_basic_constraints", .bool), FieldSpec("not_before", .string),
    ] + PKISubjectFields.fields

    static func caPaths(_ system: SystemView) -> [PathSpec] {
        let signIntermediateFields = caFields + [FieldSpec("csr", .string), FieldSpec("use_csr_values", .bool), FieldSpec("skid", .string),
                                                 FieldSpec("issuer_ref", .string, default: "default")]
        let selfIssuedFields = [FieldSpec("certificate", .string), FieldSpec("require_matching_certificate_algorithms", .bool),
                                FieldSpec("issuer_ref", .string, default: "default")]
        return [
            PathSpec("root/generate/{exported}", fields: caFields, handlers: [
                .update: { ctx, fields in try await generateRoot(ctx, fields, system, rotate: false) },
            ]),
            PathSpec("issuers/generate/root/{exported}", fields: caFields, handlers: [
                .update: { ctx, fields in try await generateRoot(ctx, fields, system, rotate: false) },
            ]),
            PathSpec("root/rotate/{exported}", fields: caFields, handlers: [
                .update: { ctx, fields in try await generateRoot(ctx, fields, system, rotate: true) },
            ]),
            PathSpec("root", handlers: [.delete: { ctx, _ in try await deleteRoot(ctx) }]),
            PathSpec("intermediate/generate/{exported}", fields: caFields, handlers: [
                .update: { ctx, fields in try await generateIntermediate(ctx, fields) },
            ]),
            PathSpec("issuers/generate/intermediate/{exported}", fields: caFields, handlers: [
                .update: { ctx, fields in try await generateIntermediate(ctx, fields) },
            ]),
            PathSpec("root/sign-intermediate", fields: signIntermediateFields, handlers: [
                .update: { ctx, fields in try await signIntermediate(ctx, fields, system, ref: try fields.string("issuer_ref")) },
            ]),
            PathSpec("issuer/{issuer_ref}/sign-intermediate", fields: signIntermediateFields, handlers: [
                .update: { ctx, fields in try await signIntermediate(ctx, fields, system, ref: ctx.capture("issuer_ref")) },
            ]),
            PathSpec("root/sign-self-issued", fields: selfIssuedFields, handlers: [
                .update: { ctx, fields in try await signSelfIssued(ctx, fields, ref: try fields.string("issuer_ref")) },
            ]),
            PathSpec("issuer/{issuer_ref}/sign-self-issued", fields: selfIssuedFields, handlers: [
                .update: { ctx, fields in try await signSelfIssued(ctx, fields, ref: ctx.capture("issuer_ref")) },
            ]),
        ]
    }

    /// `internal`, `exported` or `existing`; `kms` (managed keys) is refused, not ignored.
    static func exportMode(_ ctx: RequestContext, _ fields: FieldData) throws(TresorError) -> String {
        let mode = ctx.capture("exported")
        switch mode {
        case "internal", "exported", "existing":
            if try !fields.string("external_key_ref").isEmpty {
                throw .badRequest("cannot specify \"external_key_ref\" on \"\(mode)\"-typed generation requests")
            }
            if mode == "existing" && (fields.has("key_type") || fields.has("key_bits")) {
                throw .badRequest("invalid parameter for the kms/existing path parameter, key_type nor key_bits arguments can be set in this mode")
            }
            return mode
        case "kms": throw .badRequest("managed keys (\"kms\") are not supported by Tresor")
        default: throw .badRequest("the \"exported\" path parameter must be \"internal\", \"existing\", exported\" or \"kms\"")
        }
    }

    /// The key a CA request uses: a new one, or `key_ref` for `existing`.
    static func caKey(_ store: PKIStore, _ fields: FieldData, mode: String) async throws -> (PKIPrivateKey, PKIKeyEntry?) {
        if mode == "existing" {
            let entry = try await store.resolveKey(try fields.string("key_ref"))
            return (try entry.key(), entry)
        }
        if try fields.bool("use_pss") { throw TresorError.badRequest("use_pss: RSA-PSS signatures are not supported by Tresor") }
        return (try PKIPrivateKey.generate(type: try fields.string("key_type"), bits: Int(try fields.int("key_bits"))), nil)
    }

    /// Subject and SANs of a CA request; no role applies, so every name passes.
    static func caPlan(_ fields: FieldData, publicKey: Certificate.PublicKey, ttl: TTLDefaults, now: Date,
                       urls: PKIURLs) throws -> (PKICertificatePlan, [String]) {
        var role = PKIRole.permissive
        role.notBeforeDuration = try fields.duration("not_before_duration")
        role.requireCN = false
        role.subject = try PKISubjectFields(fields)
        var issuance = PKIIssuance(role: role, fields: fields, csr: nil)
        var plan = try issuance.plan(publicKey: publicKey, issuer: nil, issuerCertificate: nil, ttl: ttl, urls: urls, now: now, isCA: true)
        plan.maxPathLength = Int(try fields.int("max_path_length"))
        plan.permittedDNSDomains = try fields.strings("permitted_dns_domains")
        plan.keyUsage = try fields.strings("key_usage")
        plan.extKeyUsages = try PKICertificateFactory.extKeyUsages(server: false, client: false, codeSigning: false, email: false,
                                                                   names: try fields.strings("ext_key_usage"), oids: try fields.strings("ext_key_usage_oids"))
        plan.policyOIDs = []
        return (plan, issuance.warnings)
    }

    static func generateRoot(_ ctx: RequestContext, _ fields: FieldData, _ system: SystemView, rotate: Bool) async throws -> LogicalResponse? {
        let mode = try exportMode(ctx, fields)
        let format = try PKIFormat.parse(try fields.string("format"))
        let store = PKIStore(storage: ctx.storage)
        await ctx.storage.lock("config/defaults")
        var issuerName = try fields.string("issuer_name").trimmingWhitespace()
        let keyName = try fields.string("key_name").trimmingWhitespace()
        try PKIStore.checkName(issuerName, kind: "issuer")
        try PKIStore.checkName(keyName, kind: "key")
        let existingIssuers = try await store.issuers()
        if rotate && issuerName.isEmpty && !existingIssuers.contains(where: { $0.name == "next" }) { issuerName = "next" }
        if !issuerName.isEmpty && existingIssuers.contains(where: { $0.name == issuerName }) { throw TresorError.badRequest("issuer name already in use") }
        let (key, existingKey) = try await caKey(store, fields, mode: mode)
        let urls = try await store.urls()
        let (plan, planWarnings) = try caPlan(fields, publicKey: key.publicKey, ttl: ctx.ttl, now: system.now(), urls: urls)
        let signatureBits = try fields.int("signature_bits")
        let certificate = try PKICertificateFactory.sign(plan, key: key, issuer: nil, signatureBits: signatureBits)
        var keyEntry: PKIKeyEntry
        if let existingKey { keyEntry = existingKey } else { keyEntry = try await store.importKey(key, name: keyName).0 }
        let algorithm = PKICertificateFactory.signatureAlgorithmName(PKICertificateFactory.signatureAlgorithm(key, bits: signatureBits))
        var (issuer, _) = try await store.importIssuer(certificate, name: issuerName, signatureAlgorithm: algorithm)
        if issuer.keyID != keyEntry.id {
            issuer.keyID = keyEntry.id
            try await store.save(issuer)
        }
        var defaults = try await store.defaults()
        if defaults.defaultIssuer.isEmpty || (defaults.defaultFollowsLatestIssuer && !rotate) {
            defaults.defaultIssuer = issuer.id
            try await store.save(defaults)
        }
        try await store.storeCertificate(certificate)
        try await store.rebuildChains()
        try await rebuildCRL(store, issuer: issuer, now: system.now())

        var data: [String: JSONValue] = [
            "certificate": .string(try PKIEncoding.encode(certificate, format)), "issuing_ca": .string(try PKIEncoding.encode(certificate, format)),
            "expiration": .int(Int64(certificate.notValidAfter.timeIntervalSince1970)),
            "serial_number": .string(PKISerial.text(certificate.serialNumber)), "issuer_id": .string(issuer.id),
            "issuer_name": .string(issuer.name), "key_id": .string(keyEntry.id), "key_name": .string(keyEntry.name),
        ]
        let pkcs8 = try fields.string("private_key_format") == "pkcs8"
        if mode == "exported" {
            data["private_key"] = .string(try key.encoded(format: format, pkcs8: pkcs8))
            data["private_key_type"] = .string(key.typeName)
            if format == .pemBundle {
                data["certificate"] = .string(try key.encoded(format: .pem, pkcs8: pkcs8) + "\n" + PKIEncoding.pem(certificate))
            }
        }
        return LogicalResponse(data: data, warnings: planWarnings + caWarnings(plan, urls: urls, verb: "generated"))
    }

    /// Vault's warnings about a new CA certificate: no subject, no AIA URLs, a zero path length.
    static func caWarnings(_ plan: PKICertificatePlan, urls: PKIURLs, verb: String) -> [String] {
        var warnings: [String] = []
        if plan.subject.isEmpty {
            warnings.append("This issuer certificate was generated without a Subject; this makes it likely that issuing leaf certs with this certificate will cause TLS validation libraries to reject this certificate.")
        }
        warnings += aiaWarning(urls)
        if plan.maxPathLength == 0 {
            warnings.append("Max path length of the \(verb) certificate is zero. This certificate cannot be used to issue intermediate CA certificates.")
        }
        return warnings
    }

    static func deleteRoot(_ ctx: RequestContext) async throws -> LogicalResponse? {
        let store = PKIStore(storage: ctx.storage)
        await ctx.storage.lock("config/defaults")
        for id in try await store.issuerIDs() {
            try await ctx.storage.delete("issuer/" + id)
            try await ctx.storage.delete("crls/" + id)
            try await ctx.storage.delete("crls/delta/" + id)
        }
        for id in try await store.keyIDs() { try await ctx.storage.delete("key/" + id) }
        try await store.save(PKIDefaults())
        return LogicalResponse(data: nil, warnings: ["DELETE /root deletes all keys and issuers; prefer the new DELETE /key/:key_ref and DELETE /issuer/:issuer_ref for finer granularity, unless removal of all keys and issuers is desired."])
    }

    static func generateIntermediate(_ ctx: RequestContext, _ fields: FieldData) async throws -> LogicalResponse? {
        let mode = try exportMode(ctx, fields)
        let format = try PKIFormat.parse(try fields.string("format"))
        let store = PKIStore(storage: ctx.storage)
        await ctx.storage.lock("config/defaults")
        let keyName = try fields.string("key_name").trimmingWhitespace()
        try PKIStore.checkName(keyName, kind: "key")
        let (key, existingKey) = try await caKey(store, fields, mode: mode)
        let (plan, _) = try caPlan(fields, publicKey: key.publicKey, ttl: ctx.ttl, now: Date(), urls: PKIURLs())
        var requested = Certificate.Extensions()
        if try fields.bool("add_basic_constraints") {
            try requested.append(Certificate.Extension(BasicConstraints.isCertificateAuthority(maxPathLength: nil), critical: true))
        }
        let names = try PKICertificateFactory.subjectAlternativeNames(plan)
        if !names.isEmpty { try requested.append(Certificate.Extension(SubjectAlternativeNames(names), critical: plan.subject.isEmpty)) }
        let attributes = requested.isEmpty ? CertificateSigningRequest.Attributes()
            : CertificateSigningRequest.Attributes([try CertificateSigningRequest.Attribute(ExtensionRequest(extensions: requested))])
        let csr = try CertificateSigningRequest(version: .v1, subject: plan.subject, privateKey: key.certificateKey, attributes: attributes,
                                                signatureAlgorithm: PKICertificateFactory.signatureAlgorithm(key, bits: try fields.int("signature_bits")))
        var keyEntry: PKIKeyEntry
        if let existingKey { keyEntry = existingKey } else { keyEntry = try await store.importKey(key, name: keyName).0 }
        var der = DER.Serializer()
        try der.serialize(csr)
        let csrText = format == .der ? Data(der.serializedBytes).base64EncodedString() : try csr.serializeAsPEM().pemString
        var data: [String: JSONValue] = ["csr": .string(csrText), "key_id": .string(keyEntry.id)]
        if mode == "exported" {
            let pkcs8 = try fields.string("private_key_format") == "pkcs8"
            data["private_key"] = .string(try key.encoded(format: format, pkcs8: pkcs8))
            data["private_key_type"] = .string(key.typeName)
            if format == .pemBundle { data["csr"] = .string(try key.encoded(format: .pem, pkcs8: false) + "\n" + csrText) }
        }
        return LogicalResponse(data: data, warnings: aiaWarning(try await store.urls(), intermediate: true))
    }

    static func signIntermediate(_ ctx: RequestContext, _ fields: FieldData, _ system: SystemView, ref: String) async throws -> LogicalResponse? {
        let store = PKIStore(storage: ctx.storage)
        let (issuer, issuerCertificate, issuerKey) = try await signingIssuer(store, ref: ref)
        let format = try PKIFormat.parse(try fields.string("format"))
        if try fields.bool("use_pss") { throw TresorError.badRequest("use_pss: RSA-PSS signatures are not supported by Tresor") }
        let csr = try PKIIssuance.parseCSR(fields, role: nil)
        var role = PKIRole.permissive
        role.notBeforeDuration = try fields.duration("not_before_duration")
        role.requireCN = false
        role.useCSRCommonName = false
        role.useCSRSANs = false
        role.subject = try PKISubjectFields(fields)
        var issuance = PKIIssuance(role: role, fields: fields, csr: csr)
        issuance.useCSRValues = try fields.bool("use_csr_values")
        issuance.commonNameFromCSR = true
        let urls = issuer.urls(global: try await store.urls())
        var plan = try issuance.plan(publicKey: csr.publicKey, issuer: issuer, issuerCertificate: issuerCertificate, ttl: ctx.ttl,
                                     urls: urls, now: system.now(), isCA: true)
        let requestedPathLength = fields.has("max_path_length") ? Int(try fields.int("max_path_length")) : -1
        if requestedPathLength >= 0 {
            plan.maxPathLength = requestedPathLength
        } else {
            switch try issuerCertificate.extensions.basicConstraints {
            case .isCertificateAuthority(let limit?)?:
                guard limit > 0 else {
                    throw TresorError.badRequest("signing certificate has a max path length of zero, and cannot issue further CA certificates")
                }
                plan.maxPathLength = limit - 1
            default: plan.maxPathLength = -1
            }
        }
        plan.permittedDNSDomains = try fields.strings("permitted_dns_domains")
        plan.keyUsage = try fields.strings("key_usage")
        plan.extKeyUsages = try PKICertificateFactory.extKeyUsages(server: false, client: false, codeSigning: false, email: false,
                                                                   names: try fields.strings("ext_key_usage"), oids: try fields.strings("ext_key_usage_oids"))
        let skid = try fields.string("skid").filter { $0 != ":" && $0 != "-" && $0 != " " }
        if !skid.isEmpty {
            guard let bytes = PKISerial.hexBytes(skid) else { throw TresorError.badRequest("unable to parse subject key ID: not hex") }
            plan.subjectKeyID = bytes
        }
        let certificate = try PKICertificateFactory.sign(plan, key: issuerKey, issuer: issuerCertificate, signatureBits: try fields.int("signature_bits"))
        try await store.storeCertificate(certificate)
        var data = try certificateData(certificate, issuer: issuer, format: format, privateKey: nil, pkcs8: false, removeRoots: false)
        let chain = [try PKIEncoding.encode(certificate, format)] + issuer.caChain.map {
            format == .der ? (try? PKIEncoding.parsePEM($0)).flatMap { try? PKIEncoding.encode($0, .der) } ?? "" : $0.trimmingWhitespace()
        }
        data["ca_chain"] = JSONValue(chain)
        data.removeValue(forKey: "not_before")
        var warnings = issuance.warnings.filter { !$0.hasPrefix("TTL ") }
        if certificate.notValidAfter > issuerCertificate.notValidAfter {
            warnings.append("The expiration time for the signed certificate is after the CA's expiration time. If the new certificate is not treated as a root, validation paths with the certificate past the issuing CA's expiration time will fail.")
        }
        return LogicalResponse(data: data, warnings: warnings + caWarnings(plan, urls: urls, verb: "signed"))
    }

    static func signSelfIssued(_ ctx: RequestContext, _ fields: FieldData, ref: String) async throws -> LogicalResponse? {
        let store = PKIStore(storage: ctx.storage)
        let (issuer, issuerCertificate, issuerKey) = try await signingIssuer(store, ref: ref)
        let text = try fields.string("certificate").trimmingWhitespace()
        let documents = PKIPEM.documents(text)
        guard !documents.isEmpty else { throw TresorError.badRequest("certificate could not be PEM-decoded") }
        guard documents.count == 1 else { throw TresorError.badRequest("\(documents.count) certificates found in PEM file, expected 1") }
        let given: Certificate
        do { given = try Certificate(derEncoded: documents[0].derBytes) } catch { throw TresorError.badRequest("error parsing certificate: \(error)") }
        guard PKIEncoding.isCA(given) else { throw TresorError.badRequest("given certificate is not a CA certificate") }
        guard given.issuer == given.subject else { throw TresorError.badRequest("given certificate is not self-issued") }
        let urls = issuer.urls(global: try await store.urls())
        var extensions = Certificate.Extensions()
        let replaced: Set<ASN1ObjectIdentifier> = [.X509ExtensionID.authorityKeyIdentifier, .X509ExtensionID.authorityInformationAccess, [2, 5, 29, 31]]
        for ext in given.extensions where !replaced.contains(ext.oid) { try extensions.append(ext) }
        let authorityKeyID = try issuerCertificate.extensions.subjectKeyIdentifier?.keyIdentifier ?? SubjectKeyIdentifier(hash: issuerCertificate.publicKey).keyIdentifier
        try extensions.append(Certificate.Extension(AuthorityKeyIdentifier(keyIdentifier: authorityKeyID), critical: false))
        let access = urls.ocspServers.map { AuthorityInformationAccess.AccessDescription(method: .ocspServer, location: .uniformResourceIdentifier($0)) }
            + urls.issuingCertificates.map { AuthorityInformationAccess.AccessDescription(method: .issuingCA, location: .uniformResourceIdentifier($0)) }
        if !access.isEmpty { try extensions.append(Certificate.Extension(AuthorityInformationAccess(access), critical: false)) }
        if !urls.crlDistributionPoints.isEmpty { try extensions.append(try PKICertificateFactory.distributionPoints([2, 5, 29, 31], urls.crlDistributionPoints)) }
        let signed = try Certificate(
            version: .v3, serialNumber: given.serialNumber, publicKey: given.publicKey, notValidBefore: given.notValidBefore,
            notValidAfter: given.notValidAfter, issuer: issuerCertificate.subject, subject: given.subject,
            signatureAlgorithm: PKICertificateFactory.signatureAlgorithm(issuerKey, bits: 0), extensions: extensions,
            issuerPrivateKey: issuerKey.certificateKey)
        return LogicalResponse(data: ["certificate": .string(try PKIEncoding.pem(signed)), "issuing_ca": .string(issuer.certificate.trimmingWhitespace())])
    }
}

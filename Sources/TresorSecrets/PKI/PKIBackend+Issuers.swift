import Foundation
import SwiftASN1
import TresorCore
import X509

/// Issuers and keys one by one (Vault 1.11's multi-issuer API).
extension PKIBackend {
    static let signatureAlgorithmNames = [
        "sha256withrsa": "SHA256WithRSA", "sha384withrsa": "SHA384WithRSA", "sha512withrsa": "SHA512WithRSA",
        "ecdsawithsha256": "ECDSAWithSHA256", "ecdsawithsha384": "ECDSAWithSHA384", "ecdsawithsha512": "ECDSAWithSHA512",
        "pureed25519": "Ed25519", "ed25519": "Ed25519",
    ]

    static func issuerPaths(_ system: SystemView) -> [PathSpec] {
        let updateFields = [
            FieldSpec("issuer_name", .string), FieldSpec("leaf_not_after_behavior", .string, default: "err"),
            FieldSpec("usage", .commaStringSlice, default: JSONValue(PKIIssuerEntry.allUsages)),
            FieldSpec("revocation_signature_algorithm", .string), FieldSpec("manual_chain", .commaStringSlice),
            FieldSpec("issuing_certificates", .commaStringSlice), FieldSpec("crl_distribution_points", .commaStringSlice),
            FieldSpec("delta_crl_distribution_points", .commaStringSlice), FieldSpec("ocsp_servers", .commaStringSlice),
            FieldSpec("enable_aia_url_templating", .bool),
        ]
        return [
            PathSpec("issuers/", fields: [FieldSpec("after", .string), FieldSpec("limit", .int)], handlers: [
                .list: { ctx, _ in
                    let store = PKIStore(storage: ctx.storage)
                    let issuers = try await store.issuers()
                    guard !issuers.isEmpty else { return nil }
                    let defaultID = try await store.defaults().defaultIssuer
                    var info: [String: JSONValue] = [:]
                    for issuer in issuers {
                        info[issuer.id] = ["is_default": .bool(issuer.id == defaultID), "issuer_name": .string(issuer.name),
                                           "key_id": .string(issuer.keyID), "serial_number": .string(issuer.serialNumber)]
                    }
                    return LogicalResponse(data: ["keys": JSONValue(issuers.map(\.id)), "key_info": .object(info)])
                },
            ]),
            PathSpec("issuer/{issuer_ref}", fields: updateFields, handlers: [
                .read: { ctx, _ in
                    let issuer = try await PKIStore(storage: ctx.storage).resolveIssuer(ctx.capture("issuer_ref"))
                    return LogicalResponse(data: issuerData(issuer))
                },
                .update: { ctx, fields in try await updateIssuer(ctx, fields, merge: false) },
                .patch: { ctx, fields in try await updateIssuer(ctx, fields, merge: true) },
                .delete: { ctx, _ in try await deleteIssuer(ctx) },
            ]),
            PathSpec("issuer/{issuer_ref}/json", handlers: [
                .read: { ctx, _ in
                    let issuer = try await PKIStore(storage: ctx.storage).resolveIssuer(ctx.capture("issuer_ref"))
                    return LogicalResponse(data: ["certificate": .string(issuer.certificate), "ca_chain": JSONValue(issuer.caChain),
                                                  "issuer_id": .string(issuer.id), "issuer_name": .string(issuer.name)])
                },
            ]),
            PathSpec("issuer/{issuer_ref}/pem", handlers: [
                .read: { ctx, _ in
                    let issuer = try await PKIStore(storage: ctx.storage).resolveIssuer(ctx.capture("issuer_ref"))
                    return .bytes(Array(issuer.certificate.utf8), contentType: "application/pem-certificate-chain")
                },
            ]),
            PathSpec("issuer/{issuer_ref}/der", handlers: [
                .read: { ctx, _ in
                    let issuer = try await PKIStore(storage: ctx.storage).resolveIssuer(ctx.capture("issuer_ref"))
                    return .bytes(try PKIEncoding.der(try issuer.parsed()), contentType: "application/pkix-cert")
                },
            ]),
            PathSpec("issuer/{issuer_ref}/crl", handlers: [.read: { ctx, _ in try await issuerCRL(ctx, as: nil) }]),
            PathSpec("issuer/{issuer_ref}/crl/pem", handlers: [.read: { ctx, _ in try await issuerCRL(ctx, as: .pem) }]),
            PathSpec("issuer/{issuer_ref}/crl/der", handlers: [.read: { ctx, _ in try await issuerCRL(ctx, as: .der) }]),
            PathSpec("issuer/{issuer_ref}/crl/delta", handlers: [.read: { ctx, _ in try await issuerCRL(ctx, as: nil, delta: true) }]),
            PathSpec("issuer/{issuer_ref}/crl/delta/pem", handlers: [.read: { ctx, _ in try await issuerCRL(ctx, as: .pem, delta: true) }]),
            PathSpec("issuer/{issuer_ref}/crl/delta/der", handlers: [.read: { ctx, _ in try await issuerCRL(ctx, as: .der, delta: true) }]),
            PathSpec("issuer/{issuer_ref}/revoke", handlers: [.update: { ctx, _ in try await revokeIssuer(ctx, system) }]),
        ]
    }

    static func issuerData(_ issuer: PKIIssuerEntry) -> [String: JSONValue] {
        var data: [String: JSONValue] = [
            "issuer_id": .string(issuer.id), "issuer_name": .string(issuer.name), "key_id": .string(issuer.keyID),
            "certificate": .string(issuer.certificate), "ca_chain": JSONValue(issuer.caChain),
            "manual_chain": issuer.manualChain.map { JSONValue($0) } ?? .null,
            "leaf_not_after_behavior": .string(issuer.leafNotAfterBehavior), "usage": .string(issuer.usage.sorted().joined(separator: ",")),
            "revocation_signature_algorithm": .string(issuer.revocationSignatureAlgorithm), "revoked": .bool(issuer.revoked),
            "issuing_certificates": JSONValue(issuer.issuingCertificates), "crl_distribution_points": JSONValue(issuer.crlDistributionPoints),
            "delta_crl_distribution_points": JSONValue(issuer.deltaCRLDistributionPoints), "ocsp_servers": JSONValue(issuer.ocspServers),
        ]
        if let time = issuer.revocationTime {
            data["revocation_time"] = .int(Int64(time))
            data["revocation_time_rfc3339"] = .string(GoFormat.time(Date(timeIntervalSince1970: time)))
        }
        if !issuer.urls(global: PKIURLs()).isEmpty { data["enable_aia_url_templating"] = .bool(issuer.enableAIAURLTemplating) }
        return data
    }

    /// A write replaces every setting (absent means default); a patch changes only what it names.
    static func updateIssuer(_ ctx: RequestContext, _ fields: FieldData, merge: Bool) async throws -> LogicalResponse? {
        let store = PKIStore(storage: ctx.storage)
        await ctx.storage.lock("config/defaults")
        var issuer = try await store.resolveIssuer(ctx.capture("issuer_ref"))
        func given(_ name: String) -> Bool { !merge || fields.has(name) }
        if given("issuer_name") {
            let name = try fields.string("issuer_name").trimmingWhitespace()
            try PKIStore.checkName(name, kind: "issuer")
            let taken = try await store.issuers().contains { $0.name == name && $0.id != issuer.id }
            if !name.isEmpty && taken {
                throw TresorError.badRequest("issuer name already in use")
            }
            issuer.name = name
        }
        if given("leaf_not_after_behavior") {
            let behavior = try fields.string("leaf_not_after_behavior")
            guard ["err", "truncate", "permit"].contains(behavior) else {
                throw TresorError.badRequest("Unknown value for field `leaf_not_after_behavior`. Possible values are `err`, `truncate`, and `permit`.")
            }
            issuer.leafNotAfterBehavior = behavior
        }
        if given("usage") {
            let usage = try fields.strings("usage").map { $0.lowercased() }
            let unknown = usage.filter { !PKIIssuerEntry.allUsages.contains($0) }
            guard unknown.isEmpty else {
                throw TresorError.badRequest("Unable to parse specified usages: [\(unknown.joined(separator: " "))] - valid values are \(PKIIssuerEntry.allUsages.joined(separator: ","))")
            }
            if issuer.revoked && usage.contains("issuing-certificates") {
                throw TresorError.badRequest("This issuer was revoked; unable to modify its usage to include certificate signing again. Reissue this certificate (preferably with a new key) and modify that entry instead.")
            }
            if usage.contains("crl-signing"), let keyUsage = try? issuer.parsed().extensions.keyUsage, !keyUsage.cRLSign {
                throw TresorError.badRequest("This issuer's underlying certificate lacks the CRLSign KeyUsage value; unable to set CRLSigning usage.")
            }
            issuer.usage = Array(Set(usage + ["read-only"])).sorted()
        }
        if given("revocation_signature_algorithm") {
            let text = try fields.string("revocation_signature_algorithm")
            if text.isEmpty {
                issuer.revocationSignatureAlgorithm = ""
            } else {
                guard let name = signatureAlgorithmNames[text.lowercased()] else {
                    throw TresorError.badRequest("Unknown signature algorithm value: \(text) - valid values are \(signatureAlgorithmNames.values.sorted().joined(separator: ", "))")
                }
                issuer.revocationSignatureAlgorithm = name
            }
        }
        if given("manual_chain") {
            let refs = try fields.strings("manual_chain")
            if refs.isEmpty {
                issuer.manualChain = nil
            } else {
                var ids: [String] = []
                for ref in refs { ids.append(ref == "self" ? issuer.id : try await store.resolveIssuer(ref).id) }
                guard ids.first == issuer.id else {
                    throw TresorError.badRequest("expected first cert in chain to be a self-reference, but was: \(refs[0])/\(ids[0])")
                }
                issuer.manualChain = ids
            }
        }
        for (field, keyPath) in [("issuing_certificates", \PKIIssuerEntry.issuingCertificates), ("crl_distribution_points", \.crlDistributionPoints),
                                 ("delta_crl_distribution_points", \.deltaCRLDistributionPoints), ("ocsp_servers", \.ocspServers)] where given(field) {
            let urls = try fields.strings(field)
            try validateURLs(urls, field: field)
            issuer[keyPath: keyPath] = urls
        }
        if given("enable_aia_url_templating") {
            if try fields.bool("enable_aia_url_templating") { throw TresorError.badRequest("AIA URL templating is not supported by Tresor yet") }
            issuer.enableAIAURLTemplating = false
        }
        try await store.save(issuer)
        try await store.rebuildChains()
        return LogicalResponse(data: issuerData(try await store.issuer(issuer.id) ?? issuer))
    }

    static func validateURLs(_ urls: [String], field: String) throws(TresorError) {
        for url in urls {
            guard let parsed = URL(string: url), parsed.scheme != nil, parsed.host != nil, !url.contains("{{") else {
                throw .badRequest("invalid URL found in Authority Information Access (AIA) parameter \(field): \(url)")
            }
        }
    }

    static func deleteIssuer(_ ctx: RequestContext) async throws -> LogicalResponse? {
        let store = PKIStore(storage: ctx.storage)
        await ctx.storage.lock("config/defaults")
        let ref = ctx.capture("issuer_ref")
        guard let issuer = try? await store.resolveIssuer(ref) else { return LogicalResponse(data: nil) }
        try await ctx.storage.delete("issuer/" + issuer.id)
        try await ctx.storage.delete("crls/" + issuer.id)
        try await ctx.storage.delete("crls/delta/" + issuer.id)
        var warnings: [String] = []
        var defaults = try await store.defaults()
        if defaults.defaultIssuer == issuer.id {
            defaults.defaultIssuer = ""
            try await store.save(defaults)
            warnings.append("Deleted issuer \(issuer.id) (via issuer_ref \(ref)); this was configured as the default issuer. Operations without an explicit issuer will not work until a new default is configured.")
        }
        try await store.rebuildChains()
        return LogicalResponse(data: nil, warnings: warnings)
    }

    static func revokeIssuer(_ ctx: RequestContext, _ system: SystemView) async throws -> LogicalResponse? {
        let store = PKIStore(storage: ctx.storage)
        await ctx.storage.lock("config/defaults")
        var issuer = try await store.resolveIssuer(ctx.capture("issuer_ref"))
        guard !issuer.revoked else { return LogicalResponse(data: issuerData(issuer)) }
        let now = system.now()
        issuer.revoked = true
        issuer.revocationTime = now.timeIntervalSince1970
        issuer.usage.removeAll { $0 == "issuing-certificates" }
        try await store.save(issuer)
        var warnings: [String] = []
        let certificate = try issuer.parsed()
        let serialKey = issuer.serialNumber.replacingOccurrences(of: ":", with: "-")
        if certificate.issuer == certificate.subject {
            warnings.append("This issuer is a self-signed (potentially root) certificate. This means it may not be considered revoked if there is not an external, cross-signed variant of this certificate. This issuer's serial number will not appear on its own CRL.")
        } else if let parent = try await store.issuers().first(where: { entry in
            entry.id != issuer.id && (try? entry.parsed()).map { certificate.issuer == $0.subject && $0.publicKey.isValidSignature(certificate.signature, for: certificate) } == true
        }) {
            let entry = PKIRevokedEntry(serialNumber: issuer.serialNumber, revocationTime: now.timeIntervalSince1970, issuerID: parent.id,
                                        notAfter: certificate.notValidAfter.timeIntervalSince1970)
            try await ctx.storage.putJSON("revoked/" + serialKey, entry)
            try await rebuildCRL(store, issuer: parent, now: now)
        } else {
            warnings.append("This issuer lacks another parent issuer within the mount. This means it will not appear on any other CRLs and may not be considered revoked by clients. Consider adding this issuer to its issuer's CRL as well if it is not self-signed.")
        }
        if try await store.defaults().defaultIssuer == issuer.id {
            warnings.append("This issuer is currently configured as the default issuer for this mount; operations such as certificate issuance may not work until a new default issuer is selected.")
        }
        try await rebuildCRL(store, issuer: issuer, now: now)
        return LogicalResponse(data: issuerData(issuer), warnings: warnings)
    }

    static func issuerCRL(_ ctx: RequestContext, as format: PKIFormat?, delta: Bool = false) async throws -> LogicalResponse? {
        let store = PKIStore(storage: ctx.storage)
        let issuer = try await store.resolveIssuer(ctx.capture("issuer_ref"))
        guard let der = try await storedCRL(store, issuerID: issuer.id, delta: delta) else {
            return format == nil ? LogicalResponse(data: ["crl": ""]) : .bytes([], contentType: "application/pkix-crl")
        }
        let pem = PEM.encode("X509 CRL", Data(der)) + "\n"
        switch format {
        case nil: return LogicalResponse(data: ["crl": .string(pem)])
        case .der?: return .bytes(der, contentType: "application/pkix-crl")
        default: return .bytes(Array(pem.utf8), contentType: "application/x-pem-file")
        }
    }

    static func keyPaths() -> [PathSpec] {
        [
            PathSpec("keys/", handlers: [
                .list: { ctx, _ in
                    let store = PKIStore(storage: ctx.storage)
                    let keys = try await store.keys()
                    guard !keys.isEmpty else { return nil }
                    let defaultID = try await store.defaults().defaultKey
                    var info: [String: JSONValue] = [:]
                    for key in keys { info[key.id] = ["is_default": .bool(key.id == defaultID), "key_name": .string(key.name)] }
                    return LogicalResponse(data: ["keys": JSONValue(keys.map(\.id)), "key_info": .object(info)])
                },
            ]),
            PathSpec("key/{key_ref}", fields: [FieldSpec("key_name", .string)], handlers: [
                .read: { ctx, _ in
                    let entry = try await PKIStore(storage: ctx.storage).resolveKey(ctx.capture("key_ref"))
                    let key = try entry.key()
                    let ski = SubjectKeyIdentifier(hash: key.publicKey).keyIdentifier
                    return LogicalResponse(data: ["key_id": .string(entry.id), "key_name": .string(entry.name), "key_type": .string(key.typeName),
                                                  "subject_key_id": .string(PKISerial.text(Certificate.SerialNumber(bytes: ski)))])
                },
                .update: { ctx, fields in
                    let store = PKIStore(storage: ctx.storage)
                    await ctx.storage.lock("config/defaults")
                    var entry = try await store.resolveKey(ctx.capture("key_ref"))
                    let name = try fields.string("key_name").trimmingWhitespace()
                    try PKIStore.checkName(name, kind: "key")
                    let taken = try await store.keys().contains { $0.name == name && $0.id != entry.id }
                    if !name.isEmpty && taken {
                        throw TresorError.badRequest("key name already in use")
                    }
                    entry.name = name
                    try await store.save(entry)
                    let warnings = name.isEmpty ? ["Name successfully deleted, you will now need to reference this key by it's Id: \(entry.id)"] : []
                    return LogicalResponse(data: ["key_id": .string(entry.id), "key_name": .string(entry.name), "key_type": .string(try entry.key().typeName)],
                                           warnings: warnings)
                },
                .delete: { ctx, _ in
                    let store = PKIStore(storage: ctx.storage)
                    await ctx.storage.lock("config/defaults")
                    guard let entry = try? await store.resolveKey(ctx.capture("key_ref")) else { return nil }
                    if let user = try await store.issuers().first(where: { $0.keyID == entry.id }) {
                        throw TresorError.badRequest("Failed to Delete Key.  Key in Use by Issuer: \(user.id)")
                    }
                    try await ctx.storage.delete("key/" + entry.id)
                    var defaults = try await store.defaults()
                    if defaults.defaultKey == entry.id {
                        defaults.defaultKey = ""
                        try await store.save(defaults)
                        return LogicalResponse(data: nil, warnings: ["Deleted key \(entry.id) (via key_ref \(ctx.capture("key_ref"))); this was configured as the default key. Operations without an explicit key will not work until a new default is configured."])
                    }
                    return nil
                },
            ]),
            PathSpec("keys/generate/{exported}", fields: [FieldSpec("key_type", .string, default: "rsa"), FieldSpec("key_bits", .int),
                                                          FieldSpec("key_name", .string), FieldSpec("external_key_ref", .string)], handlers: [
                .update: { ctx, fields in
                    let mode = ctx.capture("exported")
                    guard mode == "internal" || mode == "exported" else {
                        if mode == "kms" { throw TresorError.badRequest("managed keys (\"kms\") are not supported by Tresor") }
                        throw TresorError.badRequest("the \"exported\" path parameter must be \"internal\", \"existing\", exported\" or \"kms\"")
                    }
                    let name = try fields.string("key_name").trimmingWhitespace()
                    try PKIStore.checkName(name, kind: "key")
                    let key: PKIPrivateKey
                    do { key = try PKIPrivateKey.generate(type: try fields.string("key_type"), bits: Int(try fields.int("key_bits"))) } catch let error as TresorError {
                        throw TresorError.badRequest("Validation for key_type, key_bits failed: \(error.messages.joined())")
                    }
                    await ctx.storage.lock("config/defaults")
                    let (entry, _) = try await PKIStore(storage: ctx.storage).importKey(key, name: name)
                    var data: [String: JSONValue] = ["key_id": .string(entry.id), "key_name": .string(entry.name), "key_type": .string(key.typeName)]
                    if mode == "exported" { data["private_key"] = .string(try key.encoded(format: .pem, pkcs8: false)) }
                    return LogicalResponse(data: data)
                },
            ]),
            PathSpec("keys/import", fields: [FieldSpec("pem_bundle", .string), FieldSpec("key_name", .string)], handlers: [
                .update: { ctx, fields in
                    let text = try fields.string("pem_bundle")
                    guard text.utf8.count >= 64 else {
                        throw TresorError.badRequest("provided data for import was too short; perhaps a path was passed to the API rather than the contents of a PEM file")
                    }
                    let documents = PKIPEM.documents(text).filter { $0.discriminator.hasSuffix("PRIVATE KEY") }
                    guard documents.count == 1 else { throw TresorError.badRequest("only a single key can be present within the pem_bundle for importing") }
                    let key = try PKIPrivateKey.parse(documents[0])
                    let name = try fields.string("key_name").trimmingWhitespace()
                    try PKIStore.checkName(name, kind: "key")
                    await ctx.storage.lock("config/defaults")
                    let (entry, isNew) = try await PKIStore(storage: ctx.storage).importKey(key, name: name)
                    return LogicalResponse(data: ["key_id": .string(entry.id), "key_name": .string(entry.name), "key_type": .string(key.typeName)],
                                           warnings: isNew ? [] : ["Key already imported, use key/ endpoint to update name."])
                },
            ]),
        ]
    }
}

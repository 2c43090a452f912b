import Foundation
import TresorCore
import X509

/// Roles, and the certificates issued under them: `issue` (Tresor makes the key), `sign` (the
/// client's CSR) and `sign-verbatim`.
extension PKIBackend {
    static func rolePaths() -> [PathSpec] {
        [
            PathSpec("roles/", fields: [FieldSpec("after", .string), FieldSpec("limit", .int)], handlers: [
                .list: { ctx, fields in
                    var names = try await ctx.storage.list("roles/").filter { !$0.hasSuffix("/") }.sorted()
                    if fields.has("after") { let after = try fields.string("after"); names = names.filter { $0 > after } }
                    if try fields.int("limit") > 0 { names = Array(names.prefix(Int(try fields.int("limit")))) }
                    return LogicalResponse.list(names)
                },
            ]),
            PathSpec("roles/{name}", fields: PKIRole.fields, handlers: [
                .read: { ctx, _ in
                    guard let role = try await loadRole(ctx.storage, ctx.capture("name")) else { return nil }
                    return LogicalResponse(data: role.json)
                },
                .update: { ctx, fields in try await writeRole(ctx, fields, raw: fields.raw) },
                .patch: { ctx, fields in
                    await ctx.storage.lock("roles/" + ctx.capture("name"))
                    guard let stored = try await ctx.storage.getJSON("roles/" + ctx.capture("name"), as: [String: JSONValue].self) else {
                        throw TresorError.badRequest("Unable to fetch role entry to patch")
                    }
                    return try await writeRole(ctx, fields, raw: stored.merging(fields.raw) { _, new in new })
                },
                .delete: { ctx, _ in
                    try await ctx.storage.delete("roles/" + ctx.capture("name"))
                    return nil
                },
            ]),
        ]
    }

    static func loadRole(_ storage: StorageView, _ name: String) async throws -> PKIRole? {
        guard let stored = try await storage.get("roles/" + name) else { return nil }
        return try PKICache.shared.role(stored)
    }

    static func writeRole(_ ctx: RequestContext, _ fields: FieldData, raw: [String: JSONValue]) async throws -> LogicalResponse? {
        let name = ctx.capture("name")
        guard PKIStore.validRoleName(name) else { throw TresorError.unsupportedPath }
        var input = raw
        input.removeValue(forKey: "name")
        let (role, roleWarnings) = try PKIRole.from(FieldData(raw: input, schema: fields.schema))
        try await ctx.storage.putJSON("roles/" + name, JSONValue.object(role.json))
        var warnings = replacedWarning(fields, ["name"]) + roleWarnings
        let store = PKIStore(storage: ctx.storage)
        if (try? await store.resolveIssuer(role.issuerRef)) == nil {
            warnings.append(role.issuerRef == "default"
                ? "Issuing Certificate was set to default, but no default issuing certificate (configurable at /config/issuers) is currently set"
                : "Issuing Certificate was set to \(role.issuerRef) but no issuing certificate currently has that name")
        }
        return LogicalResponse(data: role.json, warnings: warnings)
    }

    enum IssueMode { case issue, sign, verbatim }

    static func issuePaths(_ system: SystemView) -> [PathSpec] {
        let fields = PKIIssuance.requestFields
        func route(_ pattern: String, _ mode: IssueMode) -> PathSpec {
            PathSpec(pattern, fields: fields, handlers: [
                .update: { ctx, fields in
                    let issuerRef: String? = ctx.captures["issuer_ref"]
                    return try await issue(ctx, fields, system, mode: mode, roleName: ctx.captures["role"], issuerRef: issuerRef)
                },
            ])
        }
        return [
            route("issue/{role}", .issue), route("issuer/{issuer_ref}/issue/{role}", .issue),
            route("sign/{role}", .sign), route("issuer/{issuer_ref}/sign/{role}", .sign),
            route("sign-verbatim", .verbatim), route("sign-verbatim/{role}", .verbatim),
            route("issuer/{issuer_ref}/sign-verbatim", .verbatim), route("issuer/{issuer_ref}/sign-verbatim/{role}", .verbatim),
        ]
    }

    static func issue(_ ctx: RequestContext, _ fields: FieldData, _ system: SystemView, mode: IssueMode, roleName: String?,
                      issuerRef: String?) async throws -> LogicalResponse? {
        let store = PKIStore(storage: ctx.storage)
        var role: PKIRole
        if let roleName {
            guard let stored = try await loadRole(ctx.storage, roleName) else { throw TresorError.badRequest("unknown role: \(roleName)") }
            role = stored
        } else {
            role = PKIRole()
        }
        if mode == .verbatim { role = try verbatimRole(from: roleName == nil ? nil : role, fields) }
        let (issuer, issuerCertificate, issuerKey) = try await signingIssuer(store, ref: issuerRef ?? (roleName == nil && fields.has("issuer_ref") ? try fields.string("issuer_ref") : role.issuerRef))
        let format = try PKIFormat.parse(try fields.string("format"))
        var warnings: [String] = []
        var privateKey: PKIPrivateKey?
        let csr: CertificateSigningRequest?
        let publicKey: Certificate.PublicKey
        if mode == .issue {
            var type = role.keyType, bits = role.keyBits
            if role.keyType == "any" {
                type = try fields.string("key_type")
                bits = Int(try fields.int("key_bits"))
                guard !type.isEmpty, type != "any" else {
                    throw TresorError.badRequest("role key type \"any\" not allowed for issuing certificates without providing key_type and/or key_bits request parameters")
                }
            } else if fields.has("key_type") || fields.has("key_bits") {
                warnings.append("parameters key_type and key_bits ignored as role had specific values")
            }
            let key = try PKIPrivateKey.generate(type: type, bits: bits)
            privateKey = key
            publicKey = key.publicKey
            csr = nil
        } else {
            let parsed = try PKIIssuance.parseCSR(fields, role: role)
            csr = parsed
            publicKey = parsed.publicKey
        }
        var issuance = PKIIssuance(role: role, fields: fields, csr: csr)
        issuance.useCSRValues = mode == .verbatim
        let urls = issuer.urls(global: try await store.urls())
        let now = system.now()
        let plan = try issuance.plan(publicKey: publicKey, issuer: issuer, issuerCertificate: issuerCertificate, ttl: ctx.ttl, urls: urls, now: now)
        let certificate = try PKICertificateFactory.sign(plan, key: issuerKey, issuer: issuerCertificate, signatureBits: role.signatureBits)
        if !role.noStore { try await store.storeCertificate(certificate) }
        let data = try certificateData(certificate, issuer: issuer, format: format, privateKey: privateKey,
                                       pkcs8: try fields.string("private_key_format") == "pkcs8",
                                       removeRoots: try fields.bool("remove_roots_from_chain"))
        var response = LogicalResponse(data: data, warnings: issuance.warnings + warnings)
        if role.generateLease {
            let ttl = max(1, Int64(certificate.notValidAfter.timeIntervalSince(now).rounded(.down)))
            response.secret = SecretGrant(type: "pki", ttl: ttl, maxTTL: ttl, renewable: false,
                                          internalData: ["serial_number": PKISerial.text(certificate.serialNumber)])
        }
        return response
    }

    /// sign-verbatim's role: any name, the CSR's subject and extensions, the request's key
    /// usages; a named role lends only its lifetimes, lease, storage and issuer settings.
    static func verbatimRole(from named: PKIRole?, _ fields: FieldData) throws(TresorError) -> PKIRole {
        var role = PKIRole.permissive
        role.keyUsage = try fields.strings("key_usage")
        role.extKeyUsage = try fields.strings("ext_key_usage")
        role.extKeyUsageOIDs = try fields.strings("ext_key_usage_oids")
        role.signatureBits = try fields.int("signature_bits")
        if try fields.bool("use_pss") { throw .badRequest("use_pss: RSA-PSS signatures are not supported by Tresor") }
        role.basicConstraintsValidForNonCA = try fields.bool("basic_constraints_valid_for_non_ca")
        role.requireCN = false
        if let named {
            role.ttl = named.ttl
            role.maxTTL = named.maxTTL
            role.generateLease = named.generateLease
            role.notBeforeDuration = named.notBeforeDuration
            role.noStore = named.noStore
            role.issuerRef = named.issuerRef
            if !fields.has("basic_constraints_valid_for_non_ca") { role.basicConstraintsValidForNonCA = named.basicConstraintsValidForNonCA }
        }
        return role
    }
}

extension PKIStore {
    static func validRoleName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        func word(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x5f }
        guard let first = bytes.first, let last = bytes.last, word(first), word(last), bytes.count <= 512 else { return false }
        return bytes.allSatisfy { word($0) || $0 == 0x2d || $0 == 0x2e }
    }
}

import Foundation
import TresorCore
import X509

/// What anyone may fetch without a token: CA certificates, chains, CRLs and issued certificates.
extension PKIBackend {
    static func fetchPaths(_ system: SystemView) -> [PathSpec] {
        func raw(_ pattern: String, _ body: @escaping @Sendable (PKIStore) async throws -> LogicalResponse?) -> PathSpec {
            PathSpec(pattern, handlers: [.read: { ctx, _ in try await body(PKIStore(storage: ctx.storage)) }])
        }
        return [
            raw("ca") { store in .bytes(try await defaultIssuerDER(store), contentType: "application/pkix-cert") },
            raw("ca/pem") { store in
                .bytes(Array(try await defaultIssuer(store)?.certificate.trimmingWhitespace().utf8 ?? "".utf8),
                       contentType: "application/pem-certificate-chain")
            },
            raw("ca_chain") { store in
                let chain = try await defaultIssuer(store)?.caChain.map { $0.trimmingWhitespace() } ?? []
                return .bytes(Array(chain.joined(separator: "\n").utf8), contentType: "application/pkix-cert")
            },
            raw("crl") { store in .bytes(try await defaultCRL(store), contentType: "application/pkix-crl") },
            raw("crl/pem") { store in
                let der = try await defaultCRL(store)
                return .bytes(der.isEmpty ? [] : Array(PEM.encode("X509 CRL", Data(der)).utf8), contentType: "application/x-pem-file")
            },
            raw("crl/delta") { store in .bytes(try await defaultCRL(store, delta: true), contentType: "application/pkix-crl") },
            raw("crl/delta/pem") { store in
                let der = try await defaultCRL(store, delta: true)
                return .bytes(der.isEmpty ? [] : Array(PEM.encode("X509 CRL", Data(der)).utf8), contentType: "application/x-pem-file")
            },
            raw("cert/delta-crl") { store in
                guard try await defaultIssuer(store) != nil else { throw TresorError.internalError("no default issuer currently configured") }
                let der = try await defaultCRL(store, delta: true)
                return LogicalResponse(data: certData(der.isEmpty ? "" : PEM.encode("X509 CRL", Data(der)) + "\n", revoked: nil))
            },
            raw("cert/ca") { store in
                guard let issuer = try await defaultIssuer(store) else { throw TresorError.badRequest("no default issuer currently configured") }
                return LogicalResponse(data: certData(issuer.certificate.trimmingWhitespace(), revoked: nil))
            },
            raw("cert/ca_chain") { store in
                guard let issuer = try await defaultIssuer(store) else { throw TresorError.badRequest("no default issuer currently configured") }
                let chain = issuer.caChain.map { $0.trimmingWhitespace() }.joined(separator: "\n")
                var data = certData(chain, revoked: nil)
                data["ca_chain"] = .string(chain)
                return LogicalResponse(data: data)
            },
            raw("cert/crl") { store in
                guard let issuer = try await defaultIssuer(store) else { throw TresorError.internalError("no default issuer currently configured") }
                let der = try await storedCRL(store, issuerID: issuer.id) ?? []
                return LogicalResponse(data: certData(der.isEmpty ? "" : PEM.encode("X509 CRL", Data(der)) + "\n", revoked: nil))
            },
            PathSpec("cert/{serial}", handlers: [.read: { ctx, _ in try await readCert(ctx, format: nil) }]),
            PathSpec("cert/{serial}/raw", handlers: [.read: { ctx, _ in try await readCert(ctx, format: .der) }]),
            PathSpec("cert/{serial}/raw/pem", handlers: [.read: { ctx, _ in try await readCert(ctx, format: .pem) }]),
            PathSpec("certs/", fields: [FieldSpec("after", .string), FieldSpec("limit", .int)], handlers: [
                .list: { ctx, fields in try await listSerials(ctx, "certs/", fields) },
            ]),
            PathSpec("certs/revoked/", fields: [FieldSpec("after", .string), FieldSpec("limit", .int)], handlers: [
                .list: { ctx, fields in try await listSerials(ctx, "revoked/", fields) },
            ]),
        ]
    }

    static func defaultIssuer(_ store: PKIStore) async throws -> PKIIssuerEntry? {
        let id = try await store.defaults().defaultIssuer
        return id.isEmpty ? nil : try await store.issuer(id)
    }

    static func defaultCRL(_ store: PKIStore, delta: Bool = false) async throws -> [UInt8] {
        guard let issuer = try await defaultIssuer(store) else { return [] }
        return try await storedCRL(store, issuerID: issuer.id, delta: delta) ?? []
    }

    static func defaultIssuerDER(_ store: PKIStore) async throws -> [UInt8] {
        guard let issuer = try await defaultIssuer(store) else { return [] }
        return try PKIEncoding.der(try issuer.parsed())
    }

    static func certData(_ certificate: String, revoked: PKIRevokedEntry?) -> [String: JSONValue] {
        var data: [String: JSONValue] = ["certificate": .string(certificate), "revocation_time": 0, "revocation_time_rfc3339": ""]
        if let revoked {
            data["revocation_time"] = .int(Int64(revoked.revocationTime))
            data["revocation_time_rfc3339"] = .string(GoFormat.time(Date(timeIntervalSince1970: revoked.revocationTime)))
            data["issuer_id"] = .string(revoked.issuerID)
        }
        return data
    }

    static func readCert(_ ctx: RequestContext, format: PKIFormat?) async throws -> LogicalResponse? {
        let store = PKIStore(storage: ctx.storage)
        let given = ctx.capture("serial")
        let certificate: Certificate?
        var revoked: PKIRevokedEntry?
        if let key = PKISerial.key(given) {
            certificate = try await store.certificate(serialKey: key)
            revoked = try await store.revocation(serialKey: key)
        } else {
            certificate = nil
        }
        guard let certificate else {
            if format != nil { return .bytes([], contentType: "application/pkix-cert") }
            return nil
        }
        switch format {
        case .der?: return .bytes(try PKIEncoding.der(certificate), contentType: "application/pkix-cert")
        case .pem?, .pemBundle?: return .bytes(Array(try PKIEncoding.pem(certificate).utf8), contentType: "application/pem-certificate-chain")
        case nil:
            if revoked?.issuerID.isEmpty == true { revoked?.issuerID = "" }
            return LogicalResponse(data: certData(try PKIEncoding.pem(certificate), revoked: revoked))
        }
    }

    static func listSerials(_ ctx: RequestContext, _ prefix: String, _ fields: FieldData) async throws -> LogicalResponse? {
        var keys = try await ctx.storage.list(prefix).filter { !$0.hasSuffix("/") }.map(PKISerial.text(key:)).sorted()
        if fields.has("after") { let after = try fields.string("after"); keys = keys.filter { $0 > after } }
        if try fields.int("limit") > 0 { keys = Array(keys.prefix(Int(try fields.int("limit")))) }
        return LogicalResponse.list(keys)
    }
}

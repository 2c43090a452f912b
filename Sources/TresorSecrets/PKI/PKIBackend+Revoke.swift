import Foundation
import TresorCore
import X509

/// Revocation and its publication: `revoke`, `revoke-with-key`, CRLs and the OCSP responder.
extension PKIBackend {
    static func revocationPaths(_ system: SystemView) -> [PathSpec] {
        let revokeFields = [FieldSpec("serial_number", .string), FieldSpec("certificate", .string), FieldSpec("private_key", .string)]
        return [
            PathSpec("revoke", fields: revokeFields, handlers: [
                .update: { ctx, fields in try await revokeRequest(ctx, fields, system, withKey: false) },
            ]),
            PathSpec("revoke-with-key", fields: revokeFields, handlers: [
                .update: { ctx, fields in try await revokeRequest(ctx, fields, system, withKey: true) },
            ]),
            PathSpec("crl/rotate", handlers: [
                .read: { ctx, _ in
                    let store = PKIStore(storage: ctx.storage)
                    for issuer in try await store.issuers() where !issuer.keyID.isEmpty { try await rebuildCRL(store, issuer: issuer, now: system.now()) }
                    return LogicalResponse(data: ["success": true])
                },
            ]),
            PathSpec("crl/rotate-delta", handlers: [
                .read: { ctx, _ in
                    let store = PKIStore(storage: ctx.storage)
                    guard try await store.crlConfig().enableDelta else {
                        return LogicalResponse(data: ["success": true], warnings: ["requested rebuild of delta CRL when delta CRL is not enabled; this is a no-op"])
                    }
                    for issuer in try await store.issuers() where !issuer.keyID.isEmpty {
                        try await buildCRL(store, issuer: issuer, now: system.now(), delta: true)
                    }
                    return LogicalResponse(data: ["success": true])
                },
            ]),
            PathSpec("ocsp", handlers: [
                .update: { ctx, _ in try await ocsp(ctx, system, request: ctx.request.rawBody ?? []) },
            ]),
            PathSpec("ocsp/{request+}", handlers: [
                .read: { ctx, _ in
                    var padded = ctx.capture("request")
                    while padded.utf8.count % 4 != 0 { padded += "=" }
                    return try await ocsp(ctx, system, request: Data(base64Encoded: padded).map { [UInt8]($0) } ?? [])
                },
            ]),
        ]
    }

    static func revokeRequest(_ ctx: RequestContext, _ fields: FieldData, _ system: SystemView, withKey: Bool) async throws -> LogicalResponse? {
        let serial = try fields.string("serial_number"), certificateText = try fields.string("certificate")
        if serial.isEmpty && certificateText.isEmpty { throw TresorError.badRequest("The serial number or certificate to revoke must be provided.") }
        if !serial.isEmpty && !certificateText.isEmpty { throw TresorError.badRequest("Must provide either the certificate or the serial to revoke; not both.") }
        let store = PKIStore(storage: ctx.storage)
        var serialKey: String
        var presented: Certificate?
        if !certificateText.isEmpty {
            let certificate = try PKIEncoding.parsePEM(certificateText)
            presented = certificate
            serialKey = PKISerial.text(certificate.serialNumber).replacingOccurrences(of: ":", with: "-")
        } else {
            guard let key = PKISerial.key(serial) else { throw TresorError.badRequest("certificate with serial \(serial) not found.") }
            serialKey = key
        }
        if withKey {
            let keyText = try fields.string("private_key")
            guard !keyText.isEmpty else { throw TresorError.badRequest("Must have private key to revoke via the /revoke-with-key path.") }
            guard keyText.utf8.count >= 64 else {
                throw TresorError.badRequest("Provided data for private_key was too short; perhaps a path was passed to the API rather than the contents of a PEM file?")
            }
            let key: PKIPrivateKey
            do { key = try PKIPrivateKey.parse(pem: keyText) } catch { throw TresorError.internalError("provided key PEM block contained no data or failed to parse") }
            var stored: Certificate?
            if presented == nil { stored = try await store.certificate(serialKey: serialKey) }
            guard let target = presented ?? stored else {
                throw TresorError.badRequest("certificate with serial \(serial) not found.")
            }
            guard PKIKeyParameters.describe(target.publicKey)?.type == key.typeName else {
                throw TresorError.internalError("provided private key type does not match certificate's public key type")
            }
            guard key.publicKey == target.publicKey else { throw TresorError.internalError("provided private key does not match certificate's public key") }
        }
        if let presented, try await store.certificate(serialKey: serialKey) == nil {
            // A certificate the mount did not store may still be one it signed.
            guard try await store.issuers().contains(where: { (try? $0.parsed()).map { presented.issuer == $0.subject && $0.publicKey.isValidSignature(presented.signature, for: presented) } == true }) else {
                throw TresorError.internalError("unable to verify signature on presented cert from any present issuer in this mount; certificates from previous CAs will need to have their issuing CA and key re-imported if revocation is necessary")
            }
            try await store.storeCertificate(presented)
        }
        await ctx.storage.lock("revoked/" + serialKey)
        return try await revoke(store, serialKey: serialKey, now: system.now(), rebuild: true, given: serial.isEmpty ? nil : serial)
    }

    /// Revokes one stored certificate and rebuilds its issuer's CRL. Revoking twice answers
    /// with the first revocation.
    static func revoke(_ store: PKIStore, serialKey: String, now: Date, rebuild: Bool, given: String? = nil) async throws -> LogicalResponse {
        let shown = given ?? PKISerial.text(key: serialKey)
        if let existing = try await store.revocation(serialKey: serialKey) { return revokedResponse(existing) }
        guard let certificate = try await store.certificate(serialKey: serialKey) else {
            throw TresorError.badRequest("certificate with serial \(shown) not found.")
        }
        let issuers = try await store.issuers()
        if let own = issuers.first(where: { $0.serialNumber == PKISerial.text(certificate.serialNumber) && (try? $0.parsed()) == certificate }) {
            throw TresorError.badRequest("adding issuer (id: \(own.id)) to its own CRL is not allowed")
        }
        let config = try await store.crlConfig()
        if certificate.notValidAfter < now && !config.allowExpiredCertRevocation {
            return LogicalResponse(data: nil, warnings: ["certificate with serial \(shown) already expired; refusing to add to CRL. Enable 'AllowExpiredCertRevocation' to allow revoking expired certificates."])
        }
        let signer = issuers.first { entry in
            (try? entry.parsed()).map { certificate.issuer == $0.subject && $0.publicKey.isValidSignature(certificate.signature, for: certificate) } == true
        }
        let entry = PKIRevokedEntry(serialNumber: PKISerial.text(certificate.serialNumber), revocationTime: now.timeIntervalSince1970,
                                    issuerID: signer?.id ?? "", notAfter: certificate.notValidAfter.timeIntervalSince1970)
        try await store.storage.putJSON("revoked/" + serialKey, entry)
        if rebuild, let signer {
            if !config.autoRebuild {
                try await rebuildCRL(store, issuer: signer, now: now)
            } else if config.enableDelta {
                try await buildCRL(store, issuer: signer, now: now, delta: true)
            }
        }
        return revokedResponse(entry)
    }

    static func revokedResponse(_ entry: PKIRevokedEntry) -> LogicalResponse {
        LogicalResponse(data: [
            "revocation_time": .int(Int64(entry.revocationTime)),
            "revocation_time_rfc3339": .string(GoFormat.time(Date(timeIntervalSince1970: entry.revocationTime))), "state": "revoked",
        ])
    }

    /// Rebuilds and stores an issuer's CRL from the revocations it signed (an empty one while
    /// CRLs are disabled). Issuers without a key, or without the crl-signing usage, have none.
    static func rebuildCRL(_ store: PKIStore, issuer: PKIIssuerEntry, now: Date) async throws {
        try await buildCRL(store, issuer: issuer, now: now, delta: false)
        if try await store.crlConfig().enableDelta { try await buildCRL(store, issuer: issuer, now: now, delta: true) }
    }

    /// Builds and stores one of an issuer's CRLs: the complete one (`crls/<id>`) or the delta
    /// (`crls/delta/<id>`) of revocations since the complete one was built. Both count on one
    /// CRL number, as Vault's do.
    static func buildCRL(_ store: PKIStore, issuer: PKIIssuerEntry, now: Date, delta: Bool) async throws {
        guard !issuer.keyID.isEmpty, issuer.has("crl-signing"), let keyEntry = try await store.key(issuer.keyID) else { return }
        let config = try await store.crlConfig()
        let complete = try await store.storage.getJSON("crls/" + issuer.id, as: PKIStoredCRL.self)
        let lastDelta = try await store.storage.getJSON("crls/delta/" + issuer.id, as: PKIStoredCRL.self)
        guard !delta || complete != nil else { return }
        let since = delta ? complete?.builtAt ?? 0 : -Double.infinity
        var entries: [PKICRL.Entry] = []
        if !config.disable {
            for serialKey in try await store.storage.list("revoked/") where !serialKey.hasSuffix("/") {
                guard let revoked = try await store.revocation(serialKey: serialKey), revoked.issuerID == issuer.id,
                      revoked.revocationTime >= since,
                      let bytes = PKISerial.hexBytes(Array(serialKey.utf8), skippingSeparators: true) else { continue }
                entries.append(PKICRL.Entry(serial: Certificate.SerialNumber(bytes: bytes), revokedAt: Date(timeIntervalSince1970: revoked.revocationTime)))
            }
        }
        let number = max(complete?.number ?? 0, lastDelta?.number ?? 0) + 1
        let lifetime = DurationParser.seconds(delta ? config.deltaRebuildInterval : config.expiry) ?? 72 * 3600
        let der = try PKICRL.build(issuer: try issuer.parsed(), key: try keyEntry.key(), entries: entries, number: number,
                                   thisUpdate: now, nextUpdate: now.addingTimeInterval(TimeInterval(delta ? max(lifetime, 60) : lifetime)),
                                   deltaBase: delta ? complete?.number : nil)
        let stored = PKIStoredCRL(der: Data(der).base64EncodedString(), number: number, builtAt: now.timeIntervalSince1970)
        try await store.storage.putJSON((delta ? "crls/delta/" : "crls/") + issuer.id, stored)
    }

    static func storedCRL(_ store: PKIStore, issuerID: String, delta: Bool = false) async throws -> [UInt8]? {
        guard let stored = try await store.storage.getJSON((delta ? "crls/delta/" : "crls/") + issuerID, as: PKIStoredCRL.self),
              let bytes = Data(base64Encoded: stored.der) else { return nil }
        return [UInt8](bytes)
    }

    static func ocsp(_ ctx: RequestContext, _ system: SystemView, request bytes: [UInt8]) async throws -> LogicalResponse? {
        let contentType = "application/ocsp-response"
        let store = PKIStore(storage: ctx.storage)
        let config = try await store.crlConfig()
        if config.ocspDisable { return .bytes(PKIOCSP.unauthorized, contentType: contentType, status: 401) }
        guard let request = PKIOCSP.parse(bytes) else { return .bytes(PKIOCSP.malformedRequest, contentType: contentType, status: 400) }
        let now = system.now()
        let issuers = try await store.issuers()
        var status = PKIOCSP.Status.unknown
        var signer = issuers.first { entry in (try? entry.parsed()).map { PKIOCSP.names(request, issuer: $0) } == true }
        if let issuer = signer {
            let serialKey = PKISerial.storageKey(request.serial)
            if let revoked = try await store.revocation(serialKey: serialKey), revoked.issuerID == issuer.id {
                status = .revoked(Date(timeIntervalSince1970: revoked.revocationTime))
            } else if try await store.storage.get("certs/" + serialKey) != nil {
                // Stored and not revoked. Serials are 159 random bits, so a stored certificate
                // with this serial is the one this issuer signed.
                status = .good
            }
        } else {
            signer = try? await store.resolveIssuer("default")
        }
        guard let issuer = signer, issuer.has("ocsp-signing"), !issuer.keyID.isEmpty, let keyEntry = try await store.key(issuer.keyID) else {
            return .bytes(PKIOCSP.unauthorized, contentType: contentType, status: 401)
        }
        let expiry = DurationParser.seconds(config.ocspExpiry) ?? 12 * 3600
        let answer = try PKIOCSP.response(request, status: status, issuer: try issuer.parsed(), key: try keyEntry.key(), now: now,
                                          nextUpdate: expiry > 0 ? now.addingTimeInterval(TimeInterval(expiry)) : nil)
        return .bytes(answer, contentType: contentType)
    }
}

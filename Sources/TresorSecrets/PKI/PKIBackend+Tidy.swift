import Foundation
import TresorCore
import X509

/// Tidy: removes certificates (and revocations) that expired longer than a safety buffer ago,
/// on request or on the auto-tidy schedule; and the CRL auto-rebuild.
extension PKIBackend {
    struct TidyConfig: Codable, Sendable {
        var enabled = false
        var intervalDuration: Int64 = 43200
        var tidyCertStore = false
        var tidyRevokedCerts = false
        var tidyRevokedCertIssuerAssociations = false
        var tidyExpiredIssuers = false
        var safetyBuffer: Int64 = 259_200
        var issuerSafetyBuffer: Int64 = 31_536_000
        var pauseDuration = "0s"
        var lastRun: Double?

        var json: [String: JSONValue] {
            ["enabled": .bool(enabled), "interval_duration": .int(intervalDuration), "tidy_cert_store": .bool(tidyCertStore),
             "tidy_revoked_certs": .bool(tidyRevokedCerts), "tidy_revoked_cert_issuer_associations": .bool(tidyRevokedCertIssuerAssociations),
             "tidy_expired_issuers": .bool(tidyExpiredIssuers), "tidy_move_legacy_ca_bundle": false, "tidy_acme": false,
             "tidy_invalid_certs": false, "safety_buffer": .int(safetyBuffer), "revoked_safety_buffer": .int(safetyBuffer),
             "issuer_safety_buffer": .int(issuerSafetyBuffer), "acme_account_safety_buffer": 2_592_000, "pause_duration": .string(pauseDuration),
             "page_size": 1000, "maintain_stored_certificate_counts": false, "publish_stored_certificate_count_metrics": false]
        }

        var anyOperation: Bool { tidyCertStore || tidyRevokedCerts || tidyRevokedCertIssuerAssociations || tidyExpiredIssuers }
    }

    static let tidyFields = [
        FieldSpec("tidy_cert_store", .bool), FieldSpec("tidy_revoked_certs", .bool), FieldSpec("tidy_revocation_list", .bool),
        FieldSpec("tidy_revoked_cert_issuer_associations", .bool), FieldSpec("tidy_expired_issuers", .bool),
        FieldSpec("tidy_invalid_certs", .bool), FieldSpec("tidy_move_legacy_ca_bundle", .bool), FieldSpec("tidy_acme", .bool),
        FieldSpec("safety_buffer", .duration, default: 259_200), FieldSpec("issuer_safety_buffer", .duration, default: 31_536_000),
        FieldSpec("revoked_safety_buffer", .duration), FieldSpec("pause_duration", .string, default: "0s"), FieldSpec("page_size", .int),
        FieldSpec("acme_account_safety_buffer", .duration),
    ]

    static func tidyPaths(_ system: SystemView) -> [PathSpec] {
        [
            PathSpec("tidy", fields: tidyFields, handlers: [
                .update: { ctx, fields in
                    let config = try tidyConfig(fields, base: TidyConfig())
                    var response = LogicalResponse(data: nil, warnings: ["Tidy operation successfully started. Any information from the operation will be printed to OpenBao's server logs."])
                    if !config.anyOperation {
                        response.warnings.append("Manual tidy requested but no tidy operations were set. Enable at least one tidy operation to be run (tidy_cert_store / tidy_revoked_certs / tidy_invalid_certs / tidy_revoked_cert_issuer_associations / tidy_expired_issuers / tidy_move_legacy_ca_bundle / tidy_acme).")
                    }
                    try await runTidy(PKIStore(storage: ctx.storage), config, now: system.now())
                    response.statusCode = 202
                    return response
                },
            ]),
            PathSpec("tidy-status", handlers: [
                .read: { ctx, _ in
                    var status = try await ctx.storage.getJSON("config/tidy-status", as: [String: JSONValue].self) ?? ["state": "Inactive"]
                    status["internal_backend_uuid"] = .string(ctx.mount.uuid)
                    return LogicalResponse(data: status)
                },
            ]),
            PathSpec("tidy-cancel", handlers: [
                .update: { ctx, _ in
                    var status = try await ctx.storage.getJSON("config/tidy-status", as: [String: JSONValue].self) ?? ["state": "Inactive"]
                    status["internal_backend_uuid"] = .string(ctx.mount.uuid)
                    return LogicalResponse(data: status, warnings: ["tidy runs to completion within its request in Tresor; there is nothing to cancel"])
                },
            ]),
            PathSpec("config/auto-tidy", fields: tidyFields + [FieldSpec("enabled", .bool), FieldSpec("interval_duration", .duration),
                                                               FieldSpec("maintain_stored_certificate_counts", .bool),
                                                               FieldSpec("publish_stored_certificate_count_metrics", .bool)], handlers: [
                .read: { ctx, _ in LogicalResponse(data: try await ctx.storage.getJSON("config/auto-tidy", as: TidyConfig.self)?.json ?? TidyConfig().json) },
                .update: { ctx, fields in
                    await ctx.storage.lock("config/auto-tidy")
                    var config = try tidyConfig(fields, base: try await ctx.storage.getJSON("config/auto-tidy", as: TidyConfig.self) ?? TidyConfig())
                    if fields.has("enabled") { config.enabled = try fields.bool("enabled") }
                    if fields.has("interval_duration") { config.intervalDuration = try fields.duration("interval_duration") }
                    if try fields.bool("maintain_stored_certificate_counts") || fields.bool("publish_stored_certificate_count_metrics") {
                        throw TresorError.badRequest("stored certificate count metrics are not supported by Tresor yet")
                    }
                    if config.enabled && !config.anyOperation {
                        throw TresorError.badRequest("Auto-tidy enabled but no tidy operations were requested. Enable at least one tidy operation to be run (tidy_cert_store / tidy_revoked_certs / tidy_invalid_certs / tidy_revoked_cert_issuer_associations / tidy_expired_issuers / tidy_move_legacy_ca_bundle / tidy_acme).")
                    }
                    try await ctx.storage.putJSON("config/auto-tidy", config)
                    return LogicalResponse(data: config.json)
                },
            ]),
        ]
    }

    /// Settings of a tidy request over `base` (only what the request names changes); ACME and
    /// legacy-bundle operations, which Tresor has nothing for, are refused rather than ignored.
    static func tidyConfig(_ fields: FieldData, base: TidyConfig) throws(TresorError) -> TidyConfig {
        var config = base
        if fields.has("tidy_cert_store") { config.tidyCertStore = try fields.bool("tidy_cert_store") }
        if fields.has("tidy_revoked_certs") { config.tidyRevokedCerts = try fields.bool("tidy_revoked_certs") }
        if fields.has("tidy_revocation_list") { config.tidyRevokedCerts = try fields.bool("tidy_revocation_list") }
        if fields.has("tidy_revoked_cert_issuer_associations") {
            config.tidyRevokedCertIssuerAssociations = try fields.bool("tidy_revoked_cert_issuer_associations")
        }
        if fields.has("tidy_expired_issuers") { config.tidyExpiredIssuers = try fields.bool("tidy_expired_issuers") }
        if try fields.bool("tidy_acme") { throw .badRequest("tidy_acme: Tresor has no ACME server yet") }
        if fields.has("safety_buffer") {
            config.safetyBuffer = try fields.duration("safety_buffer")
            guard config.safetyBuffer > 0 else { throw .badRequest("safety_buffer must be greater than zero") }
        }
        if fields.has("issuer_safety_buffer") {
            config.issuerSafetyBuffer = try fields.duration("issuer_safety_buffer")
            guard config.issuerSafetyBuffer > 0 else { throw .badRequest("issuer_safety_buffer must be greater than zero") }
        }
        if fields.has("page_size"), try fields.int("page_size") <= 5 { throw .badRequest("page_size must be greater than five") }
        if fields.has("pause_duration") { config.pauseDuration = try fields.string("pause_duration") }
        return config
    }

    static func runTidy(_ store: PKIStore, _ config: TidyConfig, now: Date) async throws {
        let started = now
        var deletedCerts = 0, deletedRevoked = 0
        let cutoff = now.addingTimeInterval(-TimeInterval(config.safetyBuffer))
        if config.tidyCertStore {
            for key in try await store.storage.list("certs/") where !key.hasSuffix("/") {
                guard let certificate = try await store.certificate(serialKey: key), certificate.notValidAfter < cutoff else { continue }
                try await store.storage.delete("certs/" + key)
                deletedCerts += 1
            }
        }
        var touchedIssuers: Set<String> = []
        if config.tidyRevokedCerts {
            for key in try await store.storage.list("revoked/") where !key.hasSuffix("/") {
                guard let entry = try await store.revocation(serialKey: key), entry.notAfter < cutoff.timeIntervalSince1970 else { continue }
                try await store.storage.delete("revoked/" + key)
                try await store.storage.delete("certs/" + key)
                touchedIssuers.insert(entry.issuerID)
                deletedRevoked += 1
            }
        }
        if config.tidyExpiredIssuers {
            let issuerCutoff = now.addingTimeInterval(-TimeInterval(config.issuerSafetyBuffer))
            let defaultID = try await store.defaults().defaultIssuer
            for issuer in try await store.issuers() where issuer.id != defaultID {
                if let certificate = try? issuer.parsed(), certificate.notValidAfter < issuerCutoff {
                    try await store.storage.delete("issuer/" + issuer.id)
                    try await store.storage.delete("crls/" + issuer.id)
                    try await store.storage.delete("crls/delta/" + issuer.id)
                }
            }
            try await store.rebuildChains()
        }
        for id in touchedIssuers { if let issuer = try await store.issuer(id) { try await rebuildCRL(store, issuer: issuer, now: now) } }
        let status: [String: JSONValue] = [
            "state": "Finished", "error": .null, "message": .null, "time_started": .string(GoFormat.time(started)),
            "time_finished": .string(GoFormat.time(Date())), "safety_buffer": .int(config.safetyBuffer),
            "issuer_safety_buffer": .int(config.issuerSafetyBuffer), "tidy_cert_store": .bool(config.tidyCertStore),
            "tidy_revoked_certs": .bool(config.tidyRevokedCerts), "tidy_expired_issuers": .bool(config.tidyExpiredIssuers),
            "tidy_revoked_cert_issuer_associations": .bool(config.tidyRevokedCertIssuerAssociations),
            "tidy_invalid_certs": false, "tidy_move_legacy_ca_bundle": false, "tidy_acme": false,
            "cert_store_deleted_count": .int(Int64(deletedCerts)), "revoked_cert_deleted_count": .int(Int64(deletedRevoked)),
            "missing_issuer_cert_count": 0, "current_cert_store_count": .null, "current_revoked_cert_count": .null,
            "pause_duration": .string(config.pauseDuration), "last_auto_tidy_finished": .string(GoFormat.time(Date())),
        ]
        try await store.storage.putJSON("config/tidy-status", JSONValue.object(status))
    }

    /// The periodic work: auto-tidy when it is due, and CRLs rebuilt before they expire.
    static func autoTidy(_ store: PKIStore, now: Date) async throws {
        if var config = try await store.storage.getJSON("config/auto-tidy", as: TidyConfig.self), config.enabled,
           now.timeIntervalSince1970 - (config.lastRun ?? 0) >= Double(config.intervalDuration) {
            try await runTidy(store, config, now: now)
            config.lastRun = now.timeIntervalSince1970
            try await store.storage.putJSON("config/auto-tidy", config)
        }
        let crl = try await store.crlConfig()
        guard !crl.disable else { return }
        let grace = DurationParser.seconds(crl.autoRebuildGracePeriod) ?? 12 * 3600
        let expiry = DurationParser.seconds(crl.expiry) ?? 72 * 3600
        for issuer in try await store.issuers() where !issuer.keyID.isEmpty {
            guard let stored = try await store.storage.getJSON("crls/" + issuer.id, as: PKIStoredCRL.self) else { continue }
            let builtAt = stored.builtAt ?? 0
            // Rebuilt once the CRL is within its grace period of expiring (auto_rebuild), or once it has expired.
            let refreshAfter = crl.autoRebuild ? Double(expiry - grace) : Double(expiry)
            if now.timeIntervalSince1970 - builtAt >= refreshAfter {
                try await rebuildCRL(store, issuer: issuer, now: now)
            } else if crl.enableDelta, let interval = DurationParser.seconds(crl.deltaRebuildInterval),
                      let delta = try await store.storage.getJSON("crls/delta/" + issuer.id, as: PKIStoredCRL.self),
                      now.timeIntervalSince1970 - (delta.builtAt ?? 0) >= Double(interval) {
                try await buildCRL(store, issuer: issuer, now: now, delta: true)
            }
        }
    }
}

import Foundation
import TresorCore
import X509

/// Mount-wide settings (`config/*`) and tidying of expired certificates.
extension PKIBackend {
    static func configPaths(_ system: SystemView) -> [PathSpec] {
        let urlFields = [FieldSpec("issuing_certificates", .commaStringSlice), FieldSpec("crl_distribution_points", .commaStringSlice),
                         FieldSpec("delta_crl_distribution_points", .commaStringSlice), FieldSpec("ocsp_servers", .commaStringSlice),
                         FieldSpec("enable_templating", .bool)]
        let crlFields = [FieldSpec("expiry", .string), FieldSpec("disable", .bool), FieldSpec("ocsp_disable", .bool),
                         FieldSpec("ocsp_expiry", .string), FieldSpec("auto_rebuild", .bool), FieldSpec("auto_rebuild_grace_period", .string),
                         FieldSpec("enable_delta", .bool), FieldSpec("delta_rebuild_interval", .string),
                         FieldSpec("allow_expired_cert_revocation", .bool)]
        let issuerDefaultFields = [FieldSpec("default", .string), FieldSpec("default_follows_latest_issuer", .bool)]
        return [
            PathSpec("config/urls", fields: urlFields, handlers: [
                .read: { ctx, _ in LogicalResponse(data: urlsData(try await PKIStore(storage: ctx.storage).urls())) },
                .update: { ctx, fields in
                    var urls = PKIURLs()
                    urls.issuingCertificates = try fields.strings("issuing_certificates")
                    urls.crlDistributionPoints = try fields.strings("crl_distribution_points")
                    urls.deltaCRLDistributionPoints = try fields.strings("delta_crl_distribution_points")
                    urls.ocspServers = try fields.strings("ocsp_servers")
                    if try fields.bool("enable_templating") { throw TresorError.badRequest("AIA URL templating is not supported by Tresor yet") }
                    try validateURLs(urls.issuingCertificates, field: "issuing_certificates")
                    try validateURLs(urls.crlDistributionPoints, field: "crl_distribution_points")
                    try validateURLs(urls.deltaCRLDistributionPoints, field: "delta_crl_distribution_points")
                    try validateURLs(urls.ocspServers, field: "ocsp_servers")
                    try await ctx.storage.putJSON("config/urls", urls)
                    return LogicalResponse(data: urlsData(urls))
                },
            ]),
            PathSpec("config/crl", fields: crlFields, handlers: [
                .read: { ctx, _ in LogicalResponse(data: try await PKIStore(storage: ctx.storage).crlConfig().json) },
                .update: { ctx, fields in try await writeCRLConfig(ctx, fields, system) },
            ]),
            PathSpec("config/issuers", fields: issuerDefaultFields, handlers: [
                .read: { ctx, _ in LogicalResponse(data: issuerDefaultsData(try await PKIStore(storage: ctx.storage).defaults())) },
                .update: { ctx, fields in try await writeDefaultIssuer(ctx, fields) },
            ]),
            PathSpec("root/replace", fields: [FieldSpec("default", .string, default: "next")] + [FieldSpec("default_follows_latest_issuer", .bool)], handlers: [
                .update: { ctx, fields in try await writeDefaultIssuer(ctx, fields) },
            ]),
            PathSpec("config/keys", fields: [FieldSpec("default", .string)], handlers: [
                .read: { ctx, _ in LogicalResponse(data: ["default": .string(try await PKIStore(storage: ctx.storage).defaults().defaultKey)]) },
                .update: { ctx, fields in
                    let store = PKIStore(storage: ctx.storage)
                    await ctx.storage.lock("config/defaults")
                    let ref = try fields.string("default")
                    guard !ref.isEmpty, ref.lowercased() != "default" else {
                        throw TresorError.badRequest("Invalid key specification; must be non-empty and can't be 'default'.")
                    }
                    let key = try await store.resolveKey(ref)
                    var defaults = try await store.defaults()
                    defaults.defaultKey = key.id
                    try await store.save(defaults)
                    return LogicalResponse(data: ["default": .string(key.id)])
                },
            ]),
            PathSpec("config/cluster", fields: [FieldSpec("path", .string), FieldSpec("aia_path", .string)], handlers: [
                .read: { ctx, _ in
                    let stored = try await ctx.storage.getJSON("config/cluster", as: [String: String].self) ?? [:]
                    return LogicalResponse(data: ["path": .string(stored["path"] ?? ""), "aia_path": .string(stored["aia_path"] ?? "")])
                },
                .update: { ctx, fields in
                    let stored = ["path": try fields.string("path"), "aia_path": try fields.string("aia_path")]
                    try await ctx.storage.putJSON("config/cluster", stored)
                    return LogicalResponse(data: stored.mapValues { .string($0) })
                },
            ]),
        ]
    }

    static func urlsData(_ urls: PKIURLs) -> [String: JSONValue] {
        ["issuing_certificates": JSONValue(urls.issuingCertificates), "crl_distribution_points": JSONValue(urls.crlDistributionPoints),
         "delta_crl_distribution_points": JSONValue(urls.deltaCRLDistributionPoints), "ocsp_servers": JSONValue(urls.ocspServers),
         "enable_templating": .bool(urls.enableTemplating)]
    }

    static func issuerDefaultsData(_ defaults: PKIDefaults) -> [String: JSONValue] {
        ["default": .string(defaults.defaultIssuer), "default_follows_latest_issuer": .bool(defaults.defaultFollowsLatestIssuer)]
    }

    static func writeDefaultIssuer(_ ctx: RequestContext, _ fields: FieldData) async throws -> LogicalResponse? {
        let store = PKIStore(storage: ctx.storage)
        await ctx.storage.lock("config/defaults")
        let ref = try fields.string("default")
        guard !ref.isEmpty, ref.lowercased() != "default" else {
            throw TresorError.badRequest("Invalid issuer specification; must be non-empty and can't be 'default'.")
        }
        let issuer: PKIIssuerEntry
        do { issuer = try await store.resolveIssuer(ref) } catch let error as TresorError {
            throw TresorError.badRequest("Error resolving issuer reference: \(error.messages.joined())")
        }
        var defaults = try await store.defaults()
        defaults.defaultIssuer = issuer.id
        if fields.has("default_follows_latest_issuer") { defaults.defaultFollowsLatestIssuer = try fields.bool("default_follows_latest_issuer") }
        try await store.save(defaults)
        let warnings = issuer.keyID.isEmpty
            ? ["This selected default issuer has no key associated with it. Some operations like issuing certificates and signing CRLs will be unavailable with the requested default issuer until a key is imported or the default issuer is changed."]
            : []
        return LogicalResponse(data: issuerDefaultsData(defaults), warnings: warnings)
    }

    static func writeCRLConfig(_ ctx: RequestContext, _ fields: FieldData, _ system: SystemView) async throws -> LogicalResponse? {
        let store = PKIStore(storage: ctx.storage)
        await ctx.storage.lock("config/crl")
        var config = try await store.crlConfig()
        let before = config
        if fields.has("expiry") {
            let text = try fields.string("expiry")
            guard DurationParser.seconds(text) != nil else { throw TresorError.badRequest("given expiry could not be decoded: time: invalid duration \"\(text)\"") }
            config.expiry = text
        }
        if fields.has("disable") { config.disable = try fields.bool("disable") }
        if fields.has("ocsp_disable") { config.ocspDisable = try fields.bool("ocsp_disable") }
        if fields.has("ocsp_expiry") {
            let text = try fields.string("ocsp_expiry")
            guard let seconds = DurationParser.seconds(text), seconds >= 0 else { throw TresorError.badRequest("ocsp_expiry must be greater than or equal to 0 got: \(text)") }
            config.ocspExpiry = text
        }
        if fields.has("auto_rebuild") { config.autoRebuild = try fields.bool("auto_rebuild") }
        if fields.has("auto_rebuild_grace_period") {
            let text = try fields.string("auto_rebuild_grace_period")
            guard DurationParser.seconds(text) != nil else { throw TresorError.badRequest("given auto_rebuild_grace_period could not be decoded: time: invalid duration \"\(text)\"") }
            config.autoRebuildGracePeriod = text
        }
        if fields.has("enable_delta") { config.enableDelta = try fields.bool("enable_delta") }
        if fields.has("delta_rebuild_interval") { config.deltaRebuildInterval = try fields.string("delta_rebuild_interval") }
        if fields.has("allow_expired_cert_revocation") { config.allowExpiredCertRevocation = try fields.bool("allow_expired_cert_revocation") }
        if config.enableDelta && !config.autoRebuild {
            throw TresorError.badRequest("Delta CRLs cannot be enabled when auto rebuilding is disabled as the complete CRL is always regenerated!")
        }
        if config.enableDelta, DurationParser.seconds(config.deltaRebuildInterval) == nil {
            throw TresorError.badRequest("given delta_rebuild_interval could not be decoded: time: invalid duration \"\(config.deltaRebuildInterval)\"")
        }
        if config.autoRebuild, let grace = DurationParser.seconds(config.autoRebuildGracePeriod), let expiry = DurationParser.seconds(config.expiry), grace >= expiry {
            throw TresorError.badRequest("CRL auto-rebuilding grace period (\(config.autoRebuildGracePeriod)) must be strictly shorter than CRL expiry (\(config.expiry)) value when auto-rebuilding of CRLs is enabled")
        }
        try await ctx.storage.putJSON("config/crl", config)
        if before.disable != config.disable || before.expiry != config.expiry || before.enableDelta != config.enableDelta
            || (before.autoRebuild && !config.autoRebuild) {
            for issuer in try await store.issuers() { try await rebuildCRL(store, issuer: issuer, now: system.now()) }
        }
        return LogicalResponse(data: config.json)
    }
}

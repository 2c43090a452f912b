import Foundation
import SwiftASN1
import TresorCore
import X509

/// Bringing CAs in: `intermediate/set-signed`, `config/ca`, `issuers/import/cert|bundle`.
extension PKIBackend {
    static func importPaths(_ system: SystemView) -> [PathSpec] {
        let bundle = [FieldSpec("pem_bundle", .string), FieldSpec("certificate", .string)]
        return [
            PathSpec("intermediate/set-signed", fields: bundle, handlers: [
                .update: { ctx, fields in try await importBundle(ctx, fields, system, keysAllowed: false) },
            ]),
            PathSpec("issuers/import/cert", fields: bundle, handlers: [
                .update: { ctx, fields in try await importBundle(ctx, fields, system, keysAllowed: false) },
            ]),
            PathSpec("config/ca", fields: bundle, handlers: [
                .update: { ctx, fields in try await importBundle(ctx, fields, system, keysAllowed: true) },
            ]),
            PathSpec("issuers/import/bundle", fields: bundle, handlers: [
                .update: { ctx, fields in try await importBundle(ctx, fields, system, keysAllowed: true) },
            ]),
        ]
    }

    static func importBundle(_ ctx: RequestContext, _ fields: FieldData, _ system: SystemView, keysAllowed: Bool) async throws -> LogicalResponse? {
        let bundleText = try fields.string("pem_bundle"), certificateText = try fields.string("certificate")
        if bundleText.isEmpty && certificateText.isEmpty { throw TresorError.badRequest("'pem_bundle' and 'certificate' parameters were empty") }
        if !bundleText.isEmpty && !certificateText.isEmpty { throw TresorError.badRequest("'pem_bundle' and 'certificate' parameters were both provided") }
        let text = bundleText.isEmpty ? certificateText : bundleText
        if text.utf8.count < 75 {
            throw TresorError.badRequest("provided data for import was too short; perhaps a path was passed to the API rather than the contents of a PEM file")
        }
        let documents = PKIPEM.documents(text)
        guard !documents.isEmpty else {
            throw TresorError.badRequest("error when parsing block 1: invalid PEM data")
        }
        var certificates: [Certificate] = []
        var keys: [PKIPrivateKey] = []
        for (index, document) in documents.enumerated() {
            switch document.discriminator {
            case "CERTIFICATE", "X509 CERTIFICATE":
                let certificate: Certificate
                do { certificate = try Certificate(derEncoded: document.derBytes) } catch {
                    throw TresorError.badRequest("Error parsing issuer \(index + 1): \(error)\n\(document.pemString)")
                }
                guard PKIEncoding.isCA(certificate) else {
                    throw TresorError.badRequest("Error parsing issuer \(index + 1): Refusing to import non-CA certificate\n\(document.pemString)")
                }
                certificates.append(certificate)
            case "CRL", "X509 CRL", "EC PARAMS", "EC PARAMETERS":
                continue
            default:
                guard keysAllowed else {
                    throw TresorError.badRequest("private keys found in the PEM bundle but not allowed by the path; use /issuers/import/bundle")
                }
                do { keys.append(try PKIPrivateKey.parse(document)) } catch {
                    throw TresorError.badRequest("Error parsing key \(index + 1): \(error.messages.joined())")
                }
            }
        }
        let store = PKIStore(storage: ctx.storage)
        await ctx.storage.lock("config/defaults")
        var importedKeys: [String] = [], existingKeys: [String] = []
        for key in keys {
            let (entry, isNew) = try await store.importKey(key, name: "")
            if isNew { importedKeys.append(entry.id) } else { existingKeys.append(entry.id) }
        }
        var importedIssuers: [String] = [], existingIssuers: [String] = []
        var mapping: [String: JSONValue] = [:]
        var newWithKeys: [String] = []
        for certificate in certificates {
            var (entry, isNew) = try await store.importIssuer(certificate)
            if entry.keyID.isEmpty, let key = try await store.keys().first(where: { (try? $0.key().publicKey) == certificate.publicKey }) {
                entry.keyID = key.id
                try await store.save(entry)
            }
            if isNew {
                importedIssuers.append(entry.id)
                if !entry.keyID.isEmpty { newWithKeys.append(entry.id) }
            } else {
                existingIssuers.append(entry.id)
            }
            mapping[entry.id] = .string(entry.keyID)
        }
        var warnings: [String] = []
        var defaults = try await store.defaults()
        if newWithKeys.count == 1 && (defaults.defaultIssuer.isEmpty || defaults.defaultFollowsLatestIssuer) {
            defaults.defaultIssuer = newWithKeys[0]
            try await store.save(defaults)
        } else if newWithKeys.count > 1 && defaults.defaultIssuer.isEmpty {
            warnings.append("Default issuer left unchanged: could not select new issuer automatically as multiple imported issuers had key material in Vault.")
        }
        if !importedIssuers.isEmpty {
            try await store.rebuildChains()
            for id in importedIssuers {
                if let entry = try await store.issuer(id), !entry.keyID.isEmpty { try await rebuildCRL(store, issuer: entry, now: system.now()) }
            }
        }
        if !defaults.defaultIssuer.isEmpty, let current = try await store.issuer(defaults.defaultIssuer), current.keyID.isEmpty {
            warnings.append("The default issuer has no key associated with it. Some operations like issuing certificates and signing CRLs will be unavailable with the requested default issuer until a key is imported or the default issuer is changed.")
        }
        warnings += aiaWarning(try await store.urls())
        func list(_ ids: [String]) -> JSONValue { ids.isEmpty ? .null : JSONValue(ids) }
        return LogicalResponse(data: [
            "imported_issuers": list(importedIssuers), "existing_issuers": list(existingIssuers),
            "imported_keys": list(importedKeys), "existing_keys": list(existingKeys), "mapping": .object(mapping),
        ], warnings: warnings)
    }
}

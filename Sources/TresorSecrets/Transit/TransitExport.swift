import CryptoExtras
import Foundation
import TresorCore

/// `export/:type/:name[/:version]`: key material in the encodings OpenBao uses, for keys
/// marked exportable (public keys for any key).
enum TransitExport {
    static func handle(_ ctx: RequestContext, _ fields: FieldData, version: String?) async throws -> LogicalResponse? {
        let exportType = ctx.capture("type")
        guard ["encryption-key", "signing-key", "hmac-key", "public-key", "certificate-chain"].contains(exportType) else {
            throw TresorError.badRequest("invalid export type: \(exportType)")
        }
        let format = fields.has("format") ? try fields.string("format") : ""
        guard ["", "raw", "der", "pem"].contains(format) else { throw TresorError.badRequest("invalid format: \(format)") }
        guard let policy = try await TransitBackend.load(ctx.storage, try TransitBackend.name(ctx)) else { return nil }
        if !policy.exportable && exportType != "public-key" && exportType != "certificate-chain" {
            throw TresorError.badRequest("private key material is not exportable")
        }
        if exportType == "encryption-key" && !policy.type.supportsEncryption { throw TresorError.badRequest("encryption not supported for the key") }
        if exportType == "signing-key" && !policy.type.supportsSigning { throw TresorError.badRequest("signing not supported for the key") }
        var selected: [Int]
        if let version {
            let text = version.hasPrefix("v") ? String(version.dropFirst()) : version
            let number: Int
            if text == "latest" { number = policy.latestVersion } else {
                guard let parsed = Int(text), parsed > 0 else { throw TresorError.badRequest("invalid key version") }
                number = parsed
            }
            if number < policy.minDecryptionVersion { throw TresorError.badRequest("version for export is below minimum decryption version") }
            guard policy.versions[number] != nil else { throw TresorError.badRequest("version does not exist or cannot be found") }
            selected = [number]
        } else {
            selected = policy.versions.keys.filter { $0 >= policy.minDecryptionVersion }
        }
        var keys: [String: JSONValue] = [:]
        for number in selected.sorted() {
            keys[String(number)] = .string(try encode(policy, policy.versions[number]!, exportType, format))
        }
        return LogicalResponse(data: ["name": .string(policy.name), "type": .string(policy.type.name), "keys": .object(keys)])
    }

    static func encode(_ policy: TransitPolicy, _ entry: TransitKeyVersion, _ exportType: String, _ format: String) throws -> String {
        let type = policy.type
        switch exportType {
        case "hmac-key":
            guard format == "" || format == "raw" else { throw TresorError.internalError("unknown format for HMAC key; supported values are `` or `raw`") }
            return Data(try TransitData.hmacKey(policy, entry)).base64EncodedString()
        case "certificate-chain":
            guard let chain = entry.certificateChain, !chain.isEmpty else {
                throw TresorError.internalError("selected key version does not have a certificate chain imported")
            }
            return chain.map { PEM.encode("CERTIFICATE", Data($0)) }.joined(separator: "\n")
        default:
            break
        }
        let wantsPublic = exportType == "public-key"
        if type.isSymmetric {
            guard !wantsPublic else { throw TresorError.internalError("unknown key type \(type.name) for export type public-key") }
            guard format == "" || format == "raw" else { throw TresorError.internalError("unknown format for HMAC key; supported values are `` or `raw`") }
            return Data(entry.key ?? []).base64EncodedString()
        }
        if type == .hmac { throw TresorError.internalError("unknown key type hmac for export type \(exportType)") }
        if type == .ed25519 {
            // Derived keys export the base key, as OpenBao does: its stored public key.
            guard let raw = Data(base64Encoded: entry.publicKey) else { return "" }
            let pub = try Curve25519.Signing.PublicKey(rawRepresentation: raw)
            if wantsPublic {
                switch format {
                case "", "raw": return Data(pub.rawRepresentation).base64EncodedString()
                case "der": return pub.derRepresentation.base64EncodedString()
                default: return pub.pemRepresentation
                }
            }
            guard let stored = entry.key, stored.count == 64 else { return "" }
            let key = try Curve25519.Signing.PrivateKey(rawRepresentation: stored[..<32])
            switch format {
            case "", "raw": return Data(stored).base64EncodedString()
            case "der": return key.derRepresentation.base64EncodedString()
            default: return key.pemRepresentation
            }
        }
        if type.isECDSA {
            guard format != "raw" else { throw TresorError.internalError("unknown key format for ec key; supported values are ``, `der`, or `pem`") }
            let forms = try ECKeys.encodings(entry, type)
            if wantsPublic { return format == "der" ? forms.publicDER.base64EncodedString() : forms.publicPEM }
            switch format {
            case "": return forms.sec1PEM ?? ""
            case "der": return forms.pkcs8DER?.base64EncodedString() ?? ""
            default: return forms.pkcs8PEM ?? ""
            }
        }
        guard format != "raw" else { throw TresorError.internalError("unknown key format for rsa key; supported values are ``, `der`, or `pem`") }
        if wantsPublic {
            guard let pub = entry.rsaPublic else { return "" }
            let key = try RSAKeys.publicKey(n: pub.n, e: pub.e)
            return format == "der" ? key.derRepresentation.base64EncodedString() : key.pemRepresentation + "\n"
        }
        guard let components = entry.rsaKey else { return "" }
        let key = try RSAKeys.privateKey(components)
        switch format {
        case "": return key.pemRepresentation + "\n"
        case "der": return key.pkcs8DERRepresentation.base64EncodedString()
        default: return key.pkcs8PEMRepresentation + "\n"
        }
    }
}

import Foundation
import TresorCore

extension TransitBackend {
    static let signFields = [
        FieldSpec("input", .string), FieldSpec("hash_algorithm", .string), FieldSpec("algorithm", .string), FieldSpec("key_version", .int),
        FieldSpec("context", .string), FieldSpec("prehashed", .bool), FieldSpec("signature_algorithm", .string),
        FieldSpec("marshaling_algorithm", .string), FieldSpec("salt_length", .string), FieldSpec("batch_input", .any),
        FieldSpec("signature", .string), FieldSpec("hmac", .string), FieldSpec("name", .string),
    ]

    static func signingPaths() -> [PathSpec] {
        let hmacFields = [FieldSpec("input", .string), FieldSpec("algorithm", .string), FieldSpec("key_version", .int), FieldSpec("batch_input", .any)]
        let hmac: PathHandler = { ctx, fields in try await generateHMAC(ctx, fields) }
        let sign: PathHandler = { ctx, fields in try await signData(ctx, fields) }
        let verify: PathHandler = { ctx, fields in try await verifyData(ctx, fields) }
        return [
            PathSpec("hmac/{name}", fields: hmacFields, handlers: [.update: hmac]),
            PathSpec("hmac/{name}/{urlalgorithm}", fields: hmacFields, handlers: [.update: hmac]),
            PathSpec("sign/{name}", fields: signFields, handlers: [.update: sign]),
            PathSpec("sign/{name}/{urlalgorithm}", fields: signFields, handlers: [.update: sign]),
            PathSpec("verify/{name}", fields: signFields, handlers: [.update: verify]),
            PathSpec("verify/{name}/{urlalgorithm}", fields: signFields, handlers: [.update: verify]),
        ]
    }

    /// URL, then `hash_algorithm`, then `algorithm`, then sha2-256.
    static func hashName(_ ctx: RequestContext, _ fields: FieldData, _ names: [String]) throws(TresorError) -> String {
        if !ctx.capture("urlalgorithm").isEmpty { return ctx.capture("urlalgorithm") }
        for name in names where fields.has(name) {
            let value = try fields.string(name)
            if !value.isEmpty { return value }
        }
        return "sha2-256"
    }

    static func generateHMAC(_ ctx: RequestContext, _ fields: FieldData) async throws -> LogicalResponse? {
        let algorithm = try hashName(ctx, fields, ["algorithm"])
        if algorithm == "none" { throw TresorError.badRequest("algorithm cannot be none") }
        let hash = try TransitHash.named(algorithm)
        let policy = try await requireKey(ctx)
        let (version, entry) = try policy.outputVersion(
            Int(try fields.int("key_version")), negative: "key version does not exist (cannot be negative)",
            tooNew: "key version does not exist; latest key version is \(policy.latestVersion)",
            tooOld: "cannot generate HMAC: version is too old (disallowed by policy)")
        let key = try TransitData.hmacKey(policy, entry)
        let (items, batch) = try items(fields, single: ["input"])
        return try await run(items, batch: batch, failStatus: false, fields: fields) { item in
            guard let input = item.string("input") else { throw TresorError.badRequest("missing input for HMAC") }
            guard let bytes = Data(base64Encoded: input) else {
                throw TresorError.badRequest("unable to decode input as base64: illegal base64 data at input byte 0")
            }
            return ["hmac": .string("vault:v\(version):" + Data(hash.hmac(key: key, [UInt8](bytes))).base64EncodedString())]
        }
    }

    static func signingOptions(_ ctx: RequestContext, _ fields: FieldData, _ policy: TransitPolicy) throws(TresorError) -> TransitSigning.Options {
        var options = TransitSigning.Options()
        let hashName = try hashName(ctx, fields, ["hash_algorithm", "algorithm"])
        options.prehashed = fields.has("prehashed") ? try fields.bool("prehashed") : false
        let signatureAlgorithm = fields.has("signature_algorithm") ? try fields.string("signature_algorithm") : ""
        if hashName == "none" {
            guard options.prehashed && signatureAlgorithm == "pkcs1v15" else {
                throw .badRequest("hash_algorithm=none requires both prehashed=true and signature_algorithm=pkcs1v15")
            }
            throw .badRequest("hash_algorithm=none is not supported by this server")
        }
        guard let hash = TransitHash(rawValue: hashName) else { throw .badRequest("invalid hash algorithm \"\(hashName)\"") }
        options.hash = hash
        let marshaling = fields.has("marshaling_algorithm") ? try fields.string("marshaling_algorithm") : ""
        switch marshaling {
        case "", "asn1": options.jws = false
        case "jws": options.jws = true
        default: throw .badRequest("invalid marshaling type \"\(marshaling)\"")
        }
        if policy.type.isRSA {
            switch signatureAlgorithm {
            case "", "pss": options.pkcs1v15 = false
            case "pkcs1v15": options.pkcs1v15 = true
            default: throw .internalError("unsupported rsa signature algorithm \(signatureAlgorithm)")
            }
        }
        let salt = fields.has("salt_length") ? try fields.string("salt_length").lowercased() : "auto"
        switch salt {
        case "", "auto", "hash", "-1", "0": break
        default:
            guard let length = Int(salt) else { throw .badRequest("salt length neither 'auto', 'hash', nor an int: \(salt)") }
            guard length >= -1 else { throw .badRequest("salt length is invalid: \(length)") }
            // swift-crypto's PSS salt is the hash length; other lengths are refused, not faked.
            if policy.type.isRSA && !options.pkcs1v15 && length != hash.hash([]).count {
                throw .badRequest("requested salt length \(length) is not supported (this server uses the hash length)")
            }
        }
        return options
    }

    static func signData(_ ctx: RequestContext, _ fields: FieldData) async throws -> LogicalResponse? {
        let policy = try await requireKey(ctx, message: "signing key not found")
        guard policy.type.supportsSigning else { throw TresorError.badRequest("key type \(policy.type.name) does not support signing") }
        let options = try signingOptions(ctx, fields, policy)
        let (version, entry) = try policy.outputVersion(
            Int(try fields.int("key_version")), negative: "requested version for signing is negative",
            tooNew: "requested version for signing is higher than the latest key version",
            tooOld: "requested version for signing is less than the minimum encryption key version")
        let (items, batch) = try items(fields, single: ["input", "context"])
        return try await run(items, batch: batch, failStatus: false, fields: fields, { item in
            guard let text = item.string("input") else {
                if batch { throw TresorError.badRequest("missing input") }
                return try signOne(policy, entry, version, [], item, options, batch: batch)
            }
            guard let input = Data(base64Encoded: text) else {
                throw TresorError.badRequest("unable to decode input as base64: illegal base64 data at input byte 0")
            }
            return try signOne(policy, entry, version, [UInt8](input), item, options, batch: batch)
        }, errorItem: ["key_version": 0])
    }

    static func signOne(_ policy: TransitPolicy, _ entry: TransitKeyVersion, _ version: Int, _ input: [UInt8], _ item: TransitItem,
                        _ options: TransitSigning.Options, batch: Bool) throws -> [String: JSONValue] {
        let context = try TransitData.decode(item.string("context"))
        let signature = try TransitSigning.sign(policy, entry, input: input, context: context, options)
        let encoded = options.jws ? base64URL(signature) : Data(signature).base64EncodedString()
        var result: [String: JSONValue] = ["signature": .string("vault:v\(version):" + encoded), "key_version": .int(Int64(version))]
        if policy.type == .ed25519 && policy.derived {
            result[batch ? "publickey" : "public_key"] = .string(Data(try TransitSigning.ed25519Key(policy, entry, context: context).publicKey.rawRepresentation).base64EncodedString())
        }
        return result
    }

    static func verifyData(_ ctx: RequestContext, _ fields: FieldData) async throws -> LogicalResponse? {
        let (items, batch) = try items(fields, single: ["input", "context", "signature", "hmac"])
        let signatures = items.filter { $0.values["signature"] != nil }.count
        let hmacs = items.filter { $0.values["hmac"] != nil && $0.values["signature"] == nil }.count
        if signatures == 0 && hmacs == 0 {
            throw TresorError.badRequest(batch ? "no batch_input elements have 'signature' or 'hmac'"
                                               : "neither a 'signature' nor an 'hmac' were given to verify")
        }
        if signatures > 0 && hmacs > 0 { throw TresorError.badRequest("elements of batch_input must all provide 'signature' or all provide 'hmac'") }
        if signatures > 0 && signatures < items.count { throw TresorError.badRequest("some elements of batch_input are missing 'signature'") }
        if hmacs > 0 && hmacs < items.count { throw TresorError.badRequest("some elements of batch_input are missing 'hmac'") }
        if hmacs > 0 { return try await verifyHMAC(ctx, fields, items, batch) }
        let policy = try await requireKey(ctx, message: "signature verification key not found")
        guard policy.type.supportsSigning else { throw TresorError.badRequest("key type \(policy.type.name) does not support verification") }
        let options = try signingOptions(ctx, fields, policy)
        return try await run(items, batch: batch, failStatus: false, fields: fields, { item in
            let input = try TransitData.decode(item.string("input"))
            let (version, payload) = try TransitData.parseVersioned(item.string("signature") ?? "", what: "signature")
            if version > policy.latestVersion { throw TresorError.badRequest("invalid signature: version is too new") }
            if version < policy.minDecryptionVersion {
                throw TresorError.badRequest("ciphertext or signature version is disallowed by policy (too old)")
            }
            guard let signature = options.jws ? fromBase64URL(payload) : Data(base64Encoded: payload).map({ [UInt8]($0) }) else {
                throw TresorError.badRequest("invalid base64 signature value")
            }
            guard let entry = policy.versions[version] else { throw TresorError.badRequest("no such key version") }
            let valid = try TransitSigning.verify(policy, entry, input: input, signature: signature,
                                                  context: try TransitData.decode(item.string("context")), options)
            return ["valid": .bool(valid)]
        }, errorItem: ["valid": false])
    }

    static func verifyHMAC(_ ctx: RequestContext, _ fields: FieldData, _ items: [TransitItem], _ batch: Bool) async throws -> LogicalResponse {
        let algorithm = try hashName(ctx, fields, ["hash_algorithm", "algorithm"])
        if algorithm == "none" { throw TresorError.badRequest("algorithm cannot be none") }
        guard let hash = TransitHash(rawValue: algorithm) else { throw TresorError.badRequest("invalid hash algorithm \"\(algorithm)\"") }
        let policy = try await requireKey(ctx)
        return try await run(items, batch: batch, failStatus: false, fields: fields) { item in
            let input = try TransitData.decode(item.string("input"))
            let presented = item.string("hmac") ?? ""
            guard presented.hasPrefix("vault:v") else { throw TresorError.badRequest("invalid HMAC to verify: no prefix") }
            let (version, payload) = try TransitData.parseVersioned(presented, what: "HMAC")
            guard let mac = Data(base64Encoded: payload) else {
                throw TresorError.badRequest("unable to decode verification HMAC as base64: illegal base64 data")
            }
            if version > policy.latestVersion { throw TresorError.badRequest("invalid HMAC: version is too new") }
            if version < policy.minDecryptionVersion { throw TresorError.badRequest("cannot verify HMAC: version is too old (disallowed by policy)") }
            guard let entry = policy.versions[version] else { throw TresorError.badRequest("no such key version") }
            let valid = hash.isValidHMAC([UInt8](mac), key: try TransitData.hmacKey(policy, entry), input)
            // OpenBao leaves `valid` out of a batch item that failed to verify.
            return batch && !valid ? [:] : ["valid": .bool(valid)]
        }
    }
}

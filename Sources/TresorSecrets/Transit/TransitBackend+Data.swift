import Foundation
import TresorCore

/// One element of `batch_input`, or the request's own fields when there is no batch.
struct TransitItem {
    let values: [String: JSONValue]

    func string(_ name: String) -> String? {
        switch values[name] {
        case .string(let text)?: return text
        case .int, .double, .bool: return values[name]?.looseString
        default: return nil
        }
    }

    func int(_ name: String) throws(TresorError) -> Int {
        switch values[name] {
        case nil, .null?: return 0
        case .int(let value)?: return Int(clamping: value)
        case .string(let text)? where Int(text) != nil: return Int(text)!
        default: throw .badRequest("'\(name)' expected type 'int'")
        }
    }

    var reference: JSONValue { .string(string("reference") ?? "") }
}

extension TransitBackend {
    /// A batch larger than this is refused whole: each item costs a key derivation or a
    /// signature, and the answer grows with it.
    static let maxBatchItems = 10_000

    static func items(_ fields: FieldData, single: [String]) throws(TresorError) -> (items: [TransitItem], batch: Bool) {
        if fields.has("batch_input"), let value = try fields.value("batch_input"), !value.isNull {
            guard case .array(let list) = value else {
                throw .internalError("failed to parse batch input: source data must be an array or slice")
            }
            guard !list.isEmpty else { throw .badRequest("missing batch input to process") }
            guard list.count <= maxBatchItems else {
                throw .badRequest("batch_input has \(list.count) items; at most \(maxBatchItems) are allowed in one request")
            }
            var items: [TransitItem] = []
            items.reserveCapacity(list.count)
            for (index, element) in list.enumerated() {
                guard case .object(let values) = element else { throw .badRequest("failed to parse batch input: '[\(index)]' is not an object") }
                items.append(TransitItem(values: values))
            }
            return (items, true)
        }
        var values: [String: JSONValue] = [:]
        for name in single { if let value = try fields.value(name), !value.isNull { values[name] = value } }
        return ([TransitItem(values: values)], false)
    }

    static func checkContexts(_ items: [TransitItem]) throws(TresorError) {
        let first = !(items[0].string("context") ?? "").isEmpty
        if items.contains(where: { !($0.string("context") ?? "").isEmpty != first }) {
            throw .badRequest("context should be set either in all the request blocks or in none")
        }
    }

    /// Runs `body` for each item. A single request turns an item's error into the answer; a
    /// batch carries it in the item, and encrypt and decrypt then answer 400 (or the caller's
    /// `partial_failure_response_code` when some items succeeded).
    static func run(_ items: [TransitItem], batch: Bool, failStatus: Bool, fields: FieldData,
                    _ body: (TransitItem) throws -> [String: JSONValue], errorItem: [String: JSONValue] = [:]) async throws -> LogicalResponse {
        if !batch { return LogicalResponse(data: try body(items[0])) }
        var results: [JSONValue] = []
        results.reserveCapacity(items.count)
        var failures = 0
        for (index, item) in items.enumerated() {
            // A big batch takes milliseconds of CPU: let the other requests on this event loop
            // have their turn between slices of it.
            if index % 128 == 127 { await Task.yield() }
            var result: [String: JSONValue]
            do {
                result = try body(item)
            } catch let error as TresorError {
                failures += 1
                result = errorItem
                result["error"] = .string(error.messages.first ?? "error")
            }
            result["reference"] = item.reference
            results.append(.object(result))
        }
        var response = LogicalResponse(data: ["batch_results": .array(results)])
        if failStatus && failures > 0 {
            response.statusCode = 400
            if failures < items.count, fields.has("partial_failure_response_code") {
                let code = Int(try fields.int("partial_failure_response_code"))
                if (1...599).contains(code) {
                    response.statusCode = code
                } else {
                    response.warnings.append("invalid HTTP response code override from partial_failure_response_code, reverting to 400")
                }
            }
        }
        return response
    }

    static func requireKey(_ ctx: RequestContext, message: String = "encryption key not found") async throws -> TransitPolicy {
        guard let policy = try await load(ctx.storage, try name(ctx)) else { throw TresorError.badRequest(message) }
        return policy
    }

    static func dataPaths(_ system: SystemView) -> [PathSpec] {
        let exists: ExistenceCheck = { ctx, _ in try await load(ctx.storage, try name(ctx)) != nil }
        let common = [FieldSpec("context", .string), FieldSpec("key_version", .int), FieldSpec("associated_data", .string),
                      FieldSpec("batch_input", .any), FieldSpec("partial_failure_response_code", .int)]
        return [
            PathSpec("encrypt/{name}", fields: common + [FieldSpec("plaintext", .string), FieldSpec("type", .string, default: "aes256-gcm96"),
                                                         FieldSpec("convergent_encryption", .bool)],
                     existenceCheck: exists, handlers: [
                .update: { ctx, fields in try await encrypt(ctx, fields, system) },
                .create: { ctx, fields in try await encrypt(ctx, fields, system) },
            ]),
            PathSpec("decrypt/{name}", fields: common + [FieldSpec("ciphertext", .string)], handlers: [
                .update: { ctx, fields in
                    let (items, batch) = try items(fields, single: ["ciphertext", "context", "associated_data"])
                    try checkContexts(items)
                    for (index, item) in items.enumerated() where batch && item.values["ciphertext"] == nil {
                        throw TresorError.internalError("failed to parse batch input: '[\(index)].ciphertext' missing ciphertext to decrypt")
                    }
                    let policy = try await requireKey(ctx)
                    return try await run(items, batch: batch, failStatus: true, fields: fields, { item in
                        guard let ciphertext = item.string("ciphertext"), !ciphertext.isEmpty else {
                            throw TresorError.badRequest("missing ciphertext to decrypt")
                        }
                        let plaintext = try TransitData.decrypt(policy, ciphertext: ciphertext, context: try TransitData.decode(item.string("context")),
                                                                associatedData: try TransitData.decode(item.string("associated_data")))
                        return ["plaintext": .string(TransitData.encode(plaintext))]
                    }, errorItem: ["plaintext": ""])
                },
            ]),
            PathSpec("rewrap/{name}", fields: common + [FieldSpec("ciphertext", .string)], handlers: [
                .update: { ctx, fields in
                    let (items, batch) = try items(fields, single: ["ciphertext", "context", "key_version"])
                    try checkContexts(items)
                    let policy = try await requireKey(ctx)
                    return try await run(items, batch: batch, failStatus: false, fields: fields) { item in
                        guard let ciphertext = item.string("ciphertext"), !ciphertext.isEmpty else {
                            throw TresorError.badRequest("missing ciphertext to decrypt")
                        }
                        let context = try TransitData.decode(item.string("context"))
                        let plaintext = try TransitData.decrypt(policy, ciphertext: ciphertext, context: context, associatedData: [])
                        let (text, version) = try TransitData.encrypt(policy, plaintext: plaintext, context: context,
                                                                      version: try item.int("key_version"), associatedData: [])
                        return ["ciphertext": .string(text), "key_version": .int(Int64(version))]
                    }
                },
            ]),
            PathSpec("datakey/{kind}/{name}", fields: [FieldSpec("bits", .int, default: 256), FieldSpec("context", .string),
                                                       FieldSpec("key_version", .int), FieldSpec("associated_data", .string)], handlers: [
                .update: { ctx, fields in
                    let kind = ctx.capture("kind")
                    guard kind == "plaintext" || kind == "wrapped" else { throw TresorError.badRequest("Invalid path, must be 'plaintext' or 'wrapped'") }
                    let bits = try fields.int("bits")
                    guard [128, 256, 512].contains(bits) else { throw TresorError.badRequest("invalid bit length") }
                    let policy = try await requireKey(ctx)
                    let secret = TransitCrypto.randomBytes(Int(bits) / 8)
                    let (text, version) = try TransitData.encrypt(policy, plaintext: secret, context: try TransitData.decode(try fields.string("context")),
                                                                  version: Int(try fields.int("key_version")),
                                                                  associatedData: try TransitData.decode(try fields.string("associated_data")))
                    var data: [String: JSONValue] = ["ciphertext": .string(text), "key_version": .int(Int64(version))]
                    if kind == "plaintext" { data["plaintext"] = .string(Data(secret).base64EncodedString()) }
                    return LogicalResponse(data: data)
                },
            ]),
        ] + signingPaths()
    }

    static func encrypt(_ ctx: RequestContext, _ fields: FieldData, _ system: SystemView) async throws -> LogicalResponse? {
        let (items, batch) = try items(fields, single: ["plaintext", "context", "key_version", "associated_data"])
        try checkContexts(items)
        for (index, item) in items.enumerated() where batch && item.values["plaintext"] == nil {
            throw TresorError.internalError("failed to parse batch input: '[\(index)].plaintext' missing plaintext to encrypt")
        }
        if !batch, items[0].values["plaintext"] == nil { throw TresorError.badRequest("missing plaintext to encrypt") }
        let name = try name(ctx)
        var policy = try await load(ctx.storage, name)
        if policy == nil {
            // Vault's upsert: a caller allowed to create gets the key made on first use.
            guard ctx.operation == .create, !(try await upsertDisabled(ctx.storage)) else {
                throw TresorError.badRequest("encryption key not found")
            }
            await ctx.storage.lock("policy/" + name)
            policy = try await load(ctx.storage, name)
            if policy == nil {
                let typeName = try fields.string("type")
                guard let type = TransitKeyType(name: typeName) else { throw TresorError.badRequest("unknown key type \(typeName)") }
                guard type.isSymmetric else { throw TresorError.badRequest("key type \(typeName) not supported for this operation") }
                let derived = !(items[0].string("context") ?? "").isEmpty
                let convergent = try fields.bool("convergent_encryption")
                if convergent && !derived {
                    throw TresorError.badRequest("convergent encryption requires derivation to be enabled, so context is required")
                }
                let created = try TransitPolicy.create(name: name, type: type, derived: derived, convergent: convergent, keySize: 0, now: system.now())
                try await save(ctx.storage, created)
                policy = created
            }
        }
        guard let policy else { throw TresorError.badRequest("encryption key not found") }
        let nonces = TransitCrypto.Nonces(expected: items.count)
        return try await run(items, batch: batch, failStatus: true, fields: fields) { item in
            let (text, version) = try TransitData.encrypt(policy, plaintext: try TransitData.decode(item.string("plaintext")),
                                                          context: try TransitData.decode(item.string("context")),
                                                          version: try item.int("key_version"),
                                                          associatedData: try TransitData.decode(item.string("associated_data")),
                                                          nonces: nonces)
            return ["ciphertext": .string(text), "key_version": .int(Int64(version))]
        }
    }
}

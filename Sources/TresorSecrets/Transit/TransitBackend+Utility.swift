import Foundation
import TresorCore

extension TransitBackend {
    static let maxRandomBytes = 131_072

    static func utilityPaths() -> [PathSpec] {
        let randomFields = [FieldSpec("bytes", .int, default: 32), FieldSpec("format", .string, default: "base64"), FieldSpec("source", .string, default: "platform")]
        let random: PathHandler = { ctx, fields in try randomBytes(ctx, fields) }
        let hashFields = [FieldSpec("input", .string), FieldSpec("algorithm", .string, default: "sha2-256"), FieldSpec("format", .string, default: "hex")]
        let hash: PathHandler = { ctx, fields in try hashInput(ctx, fields) }
        return [
            PathSpec("random", fields: randomFields, handlers: [.update: random]),
            PathSpec("random/{first}", fields: randomFields, handlers: [.update: random]),
            PathSpec("random/{source}/{urlbytes}", fields: randomFields, handlers: [.update: random]),
            PathSpec("hash", fields: hashFields, handlers: [.update: hash]),
            PathSpec("hash/{urlalgorithm}", fields: hashFields, handlers: [.update: hash]),
        ]
    }

    static func randomBytes(_ ctx: RequestContext, _ fields: FieldData) throws -> LogicalResponse? {
        var count = Int(try fields.int("bytes"))
        var source = try fields.string("source")
        var warnings: [String] = []
        var urlBytes = ctx.capture("urlbytes")
        let first = ctx.capture("first")
        if !first.isEmpty {
            if ["platform", "seal", "all"].contains(first) { source = first } else { urlBytes = first }
        } else if !ctx.capture("source").isEmpty {
            source = ctx.capture("source")
        }
        if !urlBytes.isEmpty {
            guard let parsed = Int(urlBytes) else {
                throw TresorError.badRequest("error parsing url-set byte count: strconv.Atoi: parsing \"\(urlBytes)\": invalid syntax")
            }
            count = parsed
        }
        switch source {
        case "platform": break
        case "seal", "all": warnings.append("no seal/entropy augmentation available, using platform entropy source")
        default: throw TresorError.badRequest("unsupported entropy source \"\(source)\"; must be \"platform\", \"seal\", or \"all\"")
        }
        guard count >= 1 else { throw TresorError.badRequest("'bytes' cannot be less than 1") }
        guard count <= maxRandomBytes else { throw TresorError.badRequest("'bytes' should be less than \(maxRandomBytes)") }
        let bytes = TransitCrypto.randomBytes(count)
        let format = try fields.string("format")
        let text: String
        switch format {
        case "base64": text = Data(bytes).base64EncodedString()
        case "hex": text = bytes.map { String(format: "%02x", $0) }.joined()
        default: throw TresorError.badRequest("unsupported encoding format \"\(format)\"; must be \"hex\" or \"base64\"")
        }
        return LogicalResponse(data: ["random_bytes": .string(text)], warnings: warnings)
    }

    static func hashInput(_ ctx: RequestContext, _ fields: FieldData) throws -> LogicalResponse? {
        guard fields.has("input"), let value = try fields.value("input"), !value.isNull else { throw TresorError.badRequest("input missing") }
        let input = try fields.string("input")
        guard let bytes = Data(base64Encoded: input) else {
            throw TresorError.badRequest("unable to decode input as base64: illegal base64 data at input byte 0")
        }
        let algorithm = ctx.capture("urlalgorithm").isEmpty ? try fields.string("algorithm") : ctx.capture("urlalgorithm")
        let hash = try TransitHash.named(algorithm)
        let sum = hash.hash([UInt8](bytes))
        let format = try fields.string("format")
        switch format {
        case "hex": return LogicalResponse(data: ["sum": .string(sum.map { String(format: "%02x", $0) }.joined())])
        case "base64": return LogicalResponse(data: ["sum": .string(Data(sum).base64EncodedString())])
        default: throw TresorError.badRequest("unsupported encoding format \(format); must be \"hex\" or \"base64\"")
        }
    }
}

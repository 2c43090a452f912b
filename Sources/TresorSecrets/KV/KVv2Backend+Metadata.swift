import Foundation
import TresorCore

/// `metadata/:path`: list secrets, read the version history, change per-secret settings, and
/// delete a secret with all its versions.
extension KVv2Backend {
    static func metadataPaths() -> [PathSpec] {
        let fields = [
            FieldSpec("max_versions", .int), FieldSpec("cas_required", .bool),
            FieldSpec("delete_version_after", .duration), FieldSpec("custom_metadata", .any),
            // LIST in pages, as OpenBao has it: the keys after `after`, at most `limit` (< 1: all).
            FieldSpec("after", .string), FieldSpec("limit", .int),
        ]
        return [
            PathSpec("metadata/{path*}", fields: fields, existenceCheck: { ctx, _ in
                try await metadata(ctx.storage, ctx.capture("path")) != nil
            }, synopsis: "Configure and list a secret's versions.", handlers: [
                .list: { ctx, fields in
                    let prefix = ctx.capture("path")
                    let after = fields.has("after") ? try fields.string("after") : nil
                    let limit = fields.has("limit") ? Int(try fields.int("limit")) : nil
                    return LogicalResponse.list(try await ctx.storage.list(metadataKey(prefix), after: after, limit: limit))
                },
                .read: { ctx, _ in
                    let path = ctx.capture("path")
                    guard !path.isEmpty, let meta = try await metadata(ctx.storage, path) else { return nil }
                    return LogicalResponse(data: meta.json)
                },
                .create: { ctx, fields in try await writeMetadata(ctx, fields, patch: false) },
                .update: { ctx, fields in try await writeMetadata(ctx, fields, patch: false) },
                .patch: { ctx, fields in try await writeMetadata(ctx, fields, patch: true) },
                .delete: { ctx, _ in
                    let path = ctx.capture("path")
                    guard !path.isEmpty else { return nil }
                    await ctx.storage.lock(metadataKey(path))
                    guard let meta = try await metadata(ctx.storage, path) else { return nil }
                    for number in meta.versions.keys {
                        try await ctx.storage.delete(versionKey(path, number))
                    }
                    try await ctx.storage.delete(metadataKey(path))
                    return nil
                },
            ]),
        ]
    }

    static func writeMetadata(_ ctx: RequestContext, _ fields: FieldData, patch: Bool) async throws -> LogicalResponse? {
        try requireNonEmptyPath(ctx)
        let path = ctx.capture("path")
        guard !path.isEmpty else { throw TresorError.badRequest("missing path") }
        await ctx.storage.lock(metadataKey(path))
        let existing = try await metadata(ctx.storage, path)
        if patch && existing == nil { return notFoundEmpty }
        let touched = ["max_versions", "cas_required", "delete_version_after", "custom_metadata"].contains { fields.has($0) }
        // Vault creates no record for an empty write to a missing secret.
        if existing == nil && !touched { return nil }
        let now = Date()
        var meta = existing ?? KVMetadata(now: now)
        if fields.has("max_versions") {
            let max = try fields.int("max_versions")
            guard max >= 0 else { throw TresorError.badRequest("max_versions must be 0 or greater") }
            meta.maxVersions = max
        }
        if fields.has("cas_required") { meta.casRequired = try fields.bool("cas_required") }
        if fields.has("delete_version_after") {
            let after = try fields.duration("delete_version_after")
            meta.deleteVersionAfter = max(after, 0)
        }
        if fields.has("custom_metadata") {
            if patch, let patchValue = fields.raw["custom_metadata"] {
                let merged = MergePatch.apply(patchValue, to: JSONValue(meta.customMetadata ?? [:]))
                meta.customMetadata = try customMetadata(merged)
            } else {
                meta.customMetadata = try customMetadata(fields.raw["custom_metadata"])
            }
        }
        meta.currentMetadataVersion += 1
        meta.updatedTime = now
        let config = try await config(ctx.storage)
        try await trim(&meta, path: path, limit: effectiveMaxVersions(meta, config), storage: ctx.storage)
        try await ctx.storage.putJSON(metadataKey(path), meta)
        return nil
    }

    static func configPaths() -> [PathSpec] {
        [
            PathSpec("config", fields: [
                FieldSpec("max_versions", .int), FieldSpec("cas_required", .bool), FieldSpec("delete_version_after", .duration),
            ], synopsis: "Configure the KV v2 mount.", handlers: [
                .read: { ctx, _ in LogicalResponse(data: try await config(ctx.storage).json) },
                .update: { ctx, fields in
                    await ctx.storage.lock("config")
                    var config = try await config(ctx.storage)
                    if fields.has("max_versions") {
                        let max = try fields.int("max_versions")
                        guard max >= 0 else { throw TresorError.badRequest("max_versions must be 0 or greater") }
                        config.maxVersions = max
                    }
                    if fields.has("cas_required") { config.casRequired = try fields.bool("cas_required") }
                    if fields.has("delete_version_after") { config.deleteVersionAfter = max(try fields.duration("delete_version_after"), 0) }
                    try await ctx.storage.putJSON("config", config)
                    return nil
                },
            ]),
        ]
    }

    static func subkeysPaths() -> [PathSpec] {
        [
            PathSpec("subkeys/{path+}", fields: [FieldSpec("version", .int), FieldSpec("depth", .int)], handlers: [
                .read: { ctx, fields in
                    let path = ctx.capture("path")
                    guard let meta = try await metadata(ctx.storage, path) else { return nil }
                    var number = try fields.int("version")
                    if number == 0 { number = meta.currentVersion }
                    let depth = try fields.int("depth")
                    guard depth >= 0 else { throw TresorError.badRequest("depth must be 0 or greater") }
                    guard let version = meta.versions[number] else { return nil }
                    var data: [String: JSONValue] = ["metadata": .object(meta.versionJSON(number, version))]
                    if version.destroyed || meta.isDeleted(version, now: Date()) {
                        data["subkeys"] = .null
                        var response = LogicalResponse(data: data)
                        response.statusCode = 404
                        return response
                    }
                    guard let payload = try await ctx.storage.getJSON(versionKey(path, number), as: KVVersionData.self) else { return nil }
                    data["subkeys"] = subkeys(payload.data, depth: depth, level: 1)
                    return LogicalResponse(data: data)
                },
            ]),
        ]
    }

    /// The shape of a secret without its values: objects keep their keys, every leaf becomes null.
    static func subkeys(_ value: JSONValue, depth: Int64, level: Int64) -> JSONValue {
        guard case .object(let map) = value else { return .null }
        var out: [String: JSONValue] = [:]
        for (key, child) in map {
            if case .object = child, depth == 0 || level < depth {
                out[key] = subkeys(child, depth: depth, level: level + 1)
            } else {
                out[key] = .null
            }
        }
        return .object(out)
    }

    /// Anything outside the v2 layout answers 404 with a hint, as Vault does for v1-style paths.
    static func invalidPaths() -> [PathSpec] {
        func hint(_ verb: String) -> PathHandler {
            { _, _ in
                var response = LogicalResponse(warnings: [
                    "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv \(verb)' for this operation.",
                ])
                response.statusCode = 404
                return response
            }
        }
        let rootHint: PathHandler = { _, _ in
            var response = LogicalResponse(warnings: ["Non-listing operations on the root of a K/V v2 mount are not supported."])
            response.statusCode = 404
            return response
        }
        return [
            PathSpec("data/", handlers: [.read: { _, _ in nil }]),
            PathSpec("data", handlers: [.read: rootHint, .update: rootHint, .delete: rootHint]),
            PathSpec("{path*}", handlers: [
                .read: hint("get"), .create: hint("put"), .update: hint("put"), .patch: hint("patch"),
                .delete: hint("delete"), .list: hint("list"),
            ]),
        ]
    }
}

import Foundation
import TresorCore

/// `data/:path`: write a new version, read a version, merge-patch, soft-delete the latest.
extension KVv2Backend {
    static func dataPaths() -> [PathSpec] {
        let fields = [FieldSpec("data", .any), FieldSpec("options", .map), FieldSpec("version", .int)]
        let exists: ExistenceCheck = { ctx, _ in try await metadata(ctx.storage, ctx.capture("path")) != nil }
        return [
            PathSpec("data/{path+}", fields: fields, existenceCheck: exists, synopsis: "Write, read, patch and delete versioned secret data.", handlers: [
                .read: { ctx, fields in try await readData(ctx, fields) },
                .create: { ctx, fields in try await writeData(ctx, fields, patch: false) },
                .update: { ctx, fields in try await writeData(ctx, fields, patch: false) },
                .patch: { ctx, fields in try await writeData(ctx, fields, patch: true) },
                .delete: { ctx, _ in
                    let path = ctx.capture("path")
                    await ctx.storage.lock(metadataKey(path))
                    guard var meta = try await metadata(ctx.storage, path),
                          var latest = meta.versions[meta.currentVersion] else { return nil }
                    let now = Date()
                    if latest.destroyed || meta.isDeleted(latest, now: now) { return nil }
                    latest.deletionTime = now
                    meta.versions[meta.currentVersion] = latest
                    try await ctx.storage.putJSON(metadataKey(path), meta)
                    return nil
                },
            ]),
        ]
    }

    static func readData(_ ctx: RequestContext, _ fields: FieldData) async throws -> LogicalResponse? {
        let path = ctx.capture("path")
        guard let meta = try await metadata(ctx.storage, path) else { return nil }
        var number = try fields.int("version")
        if number == 0 { number = meta.currentVersion }
        guard let version = meta.versions[number] else { return nil }
        let now = Date()
        var data: [String: JSONValue] = ["metadata": .object(meta.versionJSON(number, version))]
        if version.destroyed || meta.isDeleted(version, now: now) {
            // Vault answers 404 but still shows the version's metadata, so clients can tell why.
            data["data"] = .null
            var response = LogicalResponse(data: data)
            response.statusCode = 404
            return response
        }
        guard let payload = try await ctx.storage.getJSON(versionKey(path, number), as: KVVersionData.self) else { return nil }
        data["data"] = payload.data
        return LogicalResponse(data: data)
    }

    static func writeData(_ ctx: RequestContext, _ fields: FieldData, patch: Bool) async throws -> LogicalResponse? {
        try requireNonEmptyPath(ctx)
        let path = ctx.capture("path")
        guard let data = fields.raw["data"], case .object = data else {
            throw TresorError.badRequest("no data provided")
        }
        let options = try fields.map("options") ?? [:]
        var cas: Int64?
        if let raw = options["cas"] {
            switch raw {
            case .int(let i): cas = i
            case .double(let d) where SafeNumbers.int64(d) != nil: cas = SafeNumbers.int64(d)
            case .string(let s) where Int64(s) != nil: cas = Int64(s)
            default: throw TresorError.badRequest("error converting input for field \"cas\": expected a number")
            }
        }
        await ctx.storage.lock(metadataKey(path))
        let config = try await config(ctx.storage)
        let now = Date()
        let existing = try await metadata(ctx.storage, path)
        if patch && existing == nil { return notFoundEmpty }
        var meta = existing ?? KVMetadata(now: now)

        if (config.casRequired || meta.casRequired) && cas == nil {
            throw TresorError.badRequest("check-and-set parameter required for this call")
        }
        if let cas, cas != meta.currentVersion {
            throw TresorError.badRequest("check-and-set parameter did not match the current version")
        }

        var payload = data
        if patch {
            guard let current = meta.versions[meta.currentVersion], !current.destroyed, !meta.isDeleted(current, now: now),
                  let stored = try await ctx.storage.getJSON(versionKey(path, meta.currentVersion), as: KVVersionData.self) else {
                return notFoundEmpty
            }
            payload = MergePatch.apply(data, to: stored.data)
        }

        let number = meta.currentVersion + 1
        var version = KVMetadata.Version(createdTime: now, deletionTime: nil, destroyed: false)
        let deleteAfter = meta.deleteVersionAfter > 0 ? meta.deleteVersionAfter : config.deleteVersionAfter
        if deleteAfter > 0 { version.deletionTime = now.addingTimeInterval(TimeInterval(deleteAfter)) }
        meta.versions[number] = version
        meta.currentVersion = number
        meta.updatedTime = now
        try await trim(&meta, path: path, limit: effectiveMaxVersions(meta, config), storage: ctx.storage)
        try await ctx.storage.putJSON(versionKey(path, number), KVVersionData(data: payload))
        try await ctx.storage.putJSON(metadataKey(path), meta)
        return LogicalResponse(data: meta.versionJSON(number, version))
    }
}

import Foundation
import TresorCore

/// `delete/`, `undelete/` and `destroy/`: act on listed versions of a secret.
extension KVv2Backend {
    static func versionPaths() -> [PathSpec] {
        let fields = [FieldSpec("versions", .any)]
        func action(_ missingMessage: String, _ change: @escaping @Sendable (inout KVMetadata.Version, Date) -> Bool,
                    destroys: Bool = false) -> PathHandler {
            { ctx, fields in
                let numbers = try versionNumbers(fields)
                guard !numbers.isEmpty else { throw TresorError.badRequest(missingMessage) }
                let path = ctx.capture("path")
                await ctx.storage.lock(metadataKey(path))
                guard var meta = try await metadata(ctx.storage, path) else { return nil }
                let now = Date()
                var changed = false
                for number in numbers {
                    guard var version = meta.versions[number] else { continue }
                    if change(&version, now) {
                        meta.versions[number] = version
                        changed = true
                        if destroys { try await ctx.storage.delete(versionKey(path, number)) }
                    }
                }
                if changed { try await ctx.storage.putJSON(metadataKey(path), meta) }
                return nil
            }
        }
        return [
            PathSpec("delete/{path+}", fields: fields, handlers: [
                .update: action("No version number provided") { version, now in
                    guard !version.destroyed else { return false }
                    if let deleted = version.deletionTime, deleted <= now { return false }
                    version.deletionTime = now
                    return true
                },
            ]),
            PathSpec("undelete/{path+}", fields: fields, handlers: [
                .update: action("No version number provided") { version, _ in
                    guard !version.destroyed, version.deletionTime != nil else { return false }
                    version.deletionTime = nil
                    return true
                },
            ]),
            PathSpec("destroy/{path+}", fields: fields, handlers: [
                .update: action("no version number provided", { version, _ in
                    guard !version.destroyed else { return false }
                    version.destroyed = true
                    return true
                }, destroys: true),
            ]),
        ]
    }
}

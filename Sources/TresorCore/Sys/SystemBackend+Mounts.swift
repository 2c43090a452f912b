import Foundation
import Synchronization

/// Remembers recent moves for `sys/remount/status`, in memory: a move is finished when answered.
enum MigrationIDs {
    private static let table = Mutex<[String: (String, String)]>([:])

    static func record(from: String, to: String) -> String {
        let id = RandomUUID.string()
        table.withLock { entries in
            if entries.count > 1000 { entries.removeAll() }
            entries[id] = (from, to)
        }
        return id
    }

    static func lookup(_ id: String) -> (String, String)? { table.withLock { $0[id] } }
}

/// sys/mounts and sys/auth: enabling, listing, reading, tuning and disabling engines and methods.
extension SystemBackend {
    static func mountPaths(_ core: Core) -> [PathSpec] {
        tablePaths(core, prefix: "mounts", kind: .secret)
    }

    static func authPaths(_ core: Core) -> [PathSpec] {
        tablePaths(core, prefix: "auth", kind: .auth) + remountPaths(core)
    }

    /// sys/remount: moves happen at once here; the status endpoint answers for clients that poll.
    static func remountPaths(_ core: Core) -> [PathSpec] {
        [
            PathSpec("remount", fields: [FieldSpec("from", .string, required: true), FieldSpec("to", .string, required: true)], handlers: [
                .update: { ctx, fields in
                    let from = try fields.string("from"), to = try fields.string("to")
                    try await core.remount(from: from, to: to, transaction: ctx.transaction)
                    return LogicalResponse(data: ["migration_id": .string(MigrationIDs.record(from: from, to: to))])
                },
            ]),
            PathSpec("remount/status/{migration_id}", handlers: [
                .read: { ctx, _ in
                    guard let (from, to) = MigrationIDs.lookup(ctx.capture("migration_id")) else { return nil }
                    return LogicalResponse(data: [
                        "migration_id": .string(ctx.capture("migration_id")),
                        "migration_info": ["source_mount": .string(from), "target_mount": .string(to), "status": "success"],
                    ])
                },
            ]),
        ]
    }

    private static func tablePaths(_ core: Core, prefix: String, kind: BackendKind) -> [PathSpec] {
        let mountedOrFail: @Sendable (String) throws -> MountEntry = { path in
            guard let entry = core.mountEntry(path: path, kind: kind) else {
                let normalized = (try? Core.normalizeMountPath(path)) ?? path
                throw TresorError.badRequest(kind == .auth ? "No auth engine at \(normalized)" : "No secret engine mount at \(normalized)")
            }
            return entry
        }
        return [
            PathSpec(prefix, handlers: [
                .read: { _, _ in
                    LogicalResponse(data: listing(core.routes.mounts.filter { $0.kind == kind }), dataAtTopLevel: true)
                },
            ]),
            PathSpec("\(prefix)/{path+}/tune", fields: tuneFields(), handlers: [
                .read: { ctx, _ in tuneResponse(try mountedOrFail(ctx.capture("path")), system: core.tokens.ttl) },
                .update: { ctx, fields in
                    _ = try mountedOrFail(ctx.capture("path"))
                    try await core.updateMount(path: ctx.capture("path"), kind: kind, transaction: ctx.transaction) { entry in
                        try applyTune(fields, to: &entry)
                    }
                    return nil
                },
            ]),
            PathSpec("\(prefix)/{path+}", fields: mountFields(), handlers: [
                .read: { ctx, _ in
                    let entry = try mountedOrFail(ctx.capture("path"))
                    return LogicalResponse(data: entry.describe().objectValue, dataAtTopLevel: true)
                },
                .update: { ctx, fields in
                    let entry = try entry(from: fields, path: ctx.capture("path"), kind: kind)
                    try await core.enableMount(entry, transaction: ctx.transaction)
                    return nil
                },
                .delete: { ctx, _ in
                    try await core.disableMount(path: ctx.capture("path"), kind: kind, transaction: ctx.transaction)
                    return nil
                },
            ]),
        ]
    }
}

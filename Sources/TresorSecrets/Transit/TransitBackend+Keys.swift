import Foundation
import TresorCore

extension TransitBackend {
    static func keyPaths(_ system: SystemView) -> [PathSpec] {
        let createFields = [
            FieldSpec("type", .string, default: "aes256-gcm96"), FieldSpec("derived", .bool), FieldSpec("convergent_encryption", .bool),
            FieldSpec("exportable", .bool), FieldSpec("allow_plaintext_backup", .bool), FieldSpec("context", .string),
            FieldSpec("auto_rotate_period", .duration), FieldSpec("key_size", .int),
        ]
        let configFields = [
            FieldSpec("min_decryption_version", .int), FieldSpec("min_encryption_version", .int), FieldSpec("deletion_allowed", .bool),
            FieldSpec("exportable", .bool), FieldSpec("allow_plaintext_backup", .bool), FieldSpec("auto_rotate_period", .duration),
        ]
        return [
            PathSpec("keys/", fields: [FieldSpec("after", .string), FieldSpec("limit", .int)], handlers: [
                .list: { ctx, fields in
                    var names = try await ctx.storage.list("policy/")
                    if fields.has("after") { let after = try fields.string("after"); names = names.filter { $0 > after } }
                    if fields.has("limit"), try fields.int("limit") > 0 { names = Array(names.prefix(Int(try fields.int("limit")))) }
                    return LogicalResponse.list(names)
                },
            ]),
            PathSpec("keys/{name}", fields: createFields, handlers: [
                .read: { ctx, fields in
                    guard let policy = try await load(ctx.storage, try name(ctx)) else { return nil }
                    let context = fields.has("context") ? try base64(try fields.string("context"), "context") : nil
                    return LogicalResponse(data: try policy.readData(context: context))
                },
                .update: { ctx, fields in try await createKey(ctx, fields, system) },
                .create: { ctx, fields in try await createKey(ctx, fields, system) },
                .delete: { ctx, _ in
                    let name = try name(ctx)
                    await ctx.storage.lock("policy/" + name)
                    guard let policy = try await load(ctx.storage, name) else {
                        throw TresorError.badRequest("error deleting policy \(name): could not delete key; not found")
                    }
                    guard policy.deletionAllowed else {
                        throw TresorError.badRequest("error deleting policy \(name): deletion is not allowed for this key")
                    }
                    try await ctx.storage.delete("policy/" + name)
                    return nil
                },
            ]),
            PathSpec("keys/{name}/config", fields: configFields, handlers: [.update: { ctx, fields in try await configure(ctx, fields) }]),
            PathSpec("keys/{name}/rotate", handlers: [
                .update: { ctx, _ in
                    let name = try name(ctx)
                    await ctx.storage.lock("policy/" + name)
                    guard var policy = try await load(ctx.storage, name) else { throw TresorError.badRequest("key not found") }
                    if policy.imported && !policy.allowImportedKeyRotation {
                        throw TresorError.internalError("imported key \(name) does not allow rotation within Vault")
                    }
                    try policy.rotate(now: system.now())
                    try await save(ctx.storage, policy)
                    return LogicalResponse(data: try policy.readData(context: nil))
                },
            ]),
            PathSpec("keys/{name}/trim", fields: [FieldSpec("min_available_version", .int)], handlers: [
                .update: { ctx, fields in try await trim(ctx, fields) },
            ]),
            PathSpec("export/{type}/{name}", fields: [FieldSpec("format", .string)], handlers: [
                .read: { ctx, fields in try await TransitExport.handle(ctx, fields, version: nil) },
            ]),
            PathSpec("export/{type}/{name}/{version}", fields: [FieldSpec("format", .string)], handlers: [
                .read: { ctx, fields in try await TransitExport.handle(ctx, fields, version: ctx.capture("version")) },
            ]),
            PathSpec("backup/{name}", handlers: [
                .read: { ctx, _ in
                    let name = try name(ctx)
                    await ctx.storage.lock("policy/" + name)
                    guard var policy = try await load(ctx.storage, name) else { throw TresorError.internalError("key \"\(name)\" not found") }
                    guard policy.exportable else { throw TresorError.internalError("exporting is disallowed on the policy") }
                    guard policy.allowPlaintextBackup else { throw TresorError.internalError("plaintext backup is disallowed on the policy") }
                    policy.backupInfo = TransitTimedVersion(time: GoFormat.time(system.now()), version: policy.latestVersion)
                    try await save(ctx.storage, policy)
                    return LogicalResponse(data: ["backup": .string(policy.backup)])
                },
            ]),
            PathSpec("restore", fields: restoreFields, handlers: [.update: { ctx, fields in try await restore(ctx, fields, system, name: nil) }]),
            PathSpec("restore/{name}", fields: restoreFields, handlers: [
                .update: { ctx, fields in try await restore(ctx, fields, system, name: ctx.capture("name")) },
            ]),
            PathSpec("config/keys", fields: [FieldSpec("disable_upsert", .bool)], handlers: [
                .read: { ctx, _ in LogicalResponse(data: ["disable_upsert": .bool(try await upsertDisabled(ctx.storage))]) },
                .update: { ctx, fields in
                    let disabled = fields.has("disable_upsert") ? try fields.bool("disable_upsert") : try await upsertDisabled(ctx.storage)
                    try await ctx.storage.putJSON("config/keys", JSONValue.object(["disable_upsert": .bool(disabled)]))
                    return LogicalResponse(data: ["disable_upsert": .bool(disabled)])
                },
            ]),
        ]
    }

    static let restoreFields = [FieldSpec("backup", .string), FieldSpec("name", .string), FieldSpec("force", .bool)]

    static func upsertDisabled(_ storage: StorageView) async throws -> Bool {
        try await storage.getJSON("config/keys", as: JSONValue.self)?.objectValue?["disable_upsert"]?.boolValue ?? false
    }

    static func createKey(_ ctx: RequestContext, _ fields: FieldData, _ system: SystemView) async throws -> LogicalResponse? {
        let name = try name(ctx)
        await ctx.storage.lock("policy/" + name)
        if let existing = try await load(ctx.storage, name) {
            return LogicalResponse(data: try existing.readData(context: nil))
        }
        let typeName = try fields.string("type")
        guard let type = TransitKeyType(name: typeName) else { throw TresorError.badRequest("unknown key type \(typeName)") }
        var policy = try TransitPolicy.create(name: name, type: type, derived: try fields.bool("derived"),
                                              convergent: try fields.bool("convergent_encryption"),
                                              keySize: Int(try fields.int("key_size")), now: system.now())
        policy.exportable = try fields.bool("exportable")
        policy.allowPlaintextBackup = try fields.bool("allow_plaintext_backup")
        if let period = try autoRotatePeriod(fields) { policy.autoRotatePeriod = period }
        try await save(ctx.storage, policy)
        return LogicalResponse(data: try policy.readData(context: nil))
    }

    static func configure(_ ctx: RequestContext, _ fields: FieldData) async throws -> LogicalResponse? {
        let name = try name(ctx)
        await ctx.storage.lock("policy/" + name)
        guard var policy = try await load(ctx.storage, name) else {
            throw TresorError.badRequest("no existing key named \(name) could be found")
        }
        var warnings: [String] = []
        if fields.has("min_decryption_version") {
            var version = Int(try fields.int("min_decryption_version"))
            guard version >= 0 else { throw TresorError.badRequest("min decryption version cannot be negative") }
            if version == 0 {
                version = 1
                warnings.append("since Vault 0.3, transit key numbering starts at 1; forcing minimum to 1")
            }
            guard version <= policy.latestVersion else {
                throw TresorError.badRequest("cannot set min decryption version of \(version), latest key version is \(policy.latestVersion)")
            }
            policy.minDecryptionVersion = version
        }
        if fields.has("min_encryption_version") {
            let version = Int(try fields.int("min_encryption_version"))
            guard version >= 0 else { throw TresorError.badRequest("min encryption version cannot be negative") }
            guard version <= policy.latestVersion else {
                throw TresorError.badRequest("cannot set min encryption version of \(version), latest key version is \(policy.latestVersion)")
            }
            policy.minEncryptionVersion = version
        }
        if policy.minEncryptionVersion > 0 && policy.minEncryptionVersion < policy.minDecryptionVersion {
            throw TresorError.badRequest("cannot set min encryption/decryption values; min encryption version of \(policy.minEncryptionVersion) must be greater than or equal to min decryption version of \(policy.minDecryptionVersion)")
        }
        if fields.has("deletion_allowed") { policy.deletionAllowed = try fields.bool("deletion_allowed") }
        // These two only ever turn on: key material that was once exportable may be out already.
        if fields.has("exportable"), try fields.bool("exportable") { policy.exportable = true }
        if fields.has("allow_plaintext_backup"), try fields.bool("allow_plaintext_backup") { policy.allowPlaintextBackup = true }
        if let period = try autoRotatePeriod(fields) { policy.autoRotatePeriod = period }
        if policy.minAvailableVersion > policy.minEncryptionVersion && policy.minEncryptionVersion > 0 {
            throw TresorError.badRequest("min encryption version should not be less than min available version")
        }
        if policy.minAvailableVersion > policy.minDecryptionVersion {
            throw TresorError.badRequest("min decryption version should not be less then min available version")
        }
        try await save(ctx.storage, policy)
        return LogicalResponse(data: try policy.readData(context: nil), warnings: warnings)
    }

    static func trim(_ ctx: RequestContext, _ fields: FieldData) async throws -> LogicalResponse? {
        let name = try name(ctx)
        await ctx.storage.lock("policy/" + name)
        guard var policy = try await load(ctx.storage, name) else { throw TresorError.badRequest("invalid key name") }
        guard fields.has("min_available_version") else { throw TresorError.badRequest("missing min_available_version") }
        let version = Int(try fields.int("min_available_version"))
        if version < policy.minAvailableVersion { throw TresorError.badRequest("minimum available version cannot be decremented") }
        if policy.minEncryptionVersion == 0 {
            throw TresorError.badRequest("minimum available version cannot be set when minimum encryption version is not set")
        }
        if version > policy.minEncryptionVersion {
            throw TresorError.badRequest("minimum available version cannot be greater than minmum encryption version")
        }
        if version > policy.minDecryptionVersion {
            throw TresorError.badRequest("minimum available version cannot be greater than minimum decryption version")
        }
        if version <= 0 { throw TresorError.badRequest("minimum available version should be positive") }
        policy.minAvailableVersion = version
        policy.versions = policy.versions.filter { $0.key >= version }
        try await save(ctx.storage, policy)
        return LogicalResponse(data: try policy.readData(context: nil))
    }

    static func restore(_ ctx: RequestContext, _ fields: FieldData, _ system: SystemView, name path: String?) async throws -> LogicalResponse? {
        let text = fields.has("backup") ? try fields.string("backup") : ""
        guard !text.isEmpty else { throw TresorError.badRequest("'backup' must be supplied") }
        var policy = try TransitPolicy(backup: text)
        var name = path ?? ""
        if name.isEmpty, fields.has("name") { name = try fields.string("name") }
        if name.isEmpty { name = policy.name }
        if name.contains("/") { throw TresorError.internalError("key names cannot be paths") }
        guard validName(name) else { throw TresorError.badRequest("invalid key name \"\(name)\"") }
        policy.name = name
        await ctx.storage.lock("policy/" + name)
        if try await load(ctx.storage, name) != nil, !(try fields.bool("force")) {
            throw TresorError.internalError("key \"\(name)\" already exists")
        }
        policy.restoreInfo = TransitTimedVersion(time: GoFormat.time(system.now()), version: policy.latestVersion)
        try await save(ctx.storage, policy)
        return nil
    }
}

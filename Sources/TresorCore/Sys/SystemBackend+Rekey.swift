import Foundation

/// sys/rekey/*: init, update, verify and backup, for authenticated callers with sudo on the path
/// (never unauthenticated: HCSEC-2026-08).
extension SystemBackend {
    static let rekeySudoPaths = ["rekey/*"]

    static func rekeyPaths(_ core: Core) -> [PathSpec] {
        let shareFields = [FieldSpec("key", .string), FieldSpec("nonce", .string)]
        @Sendable func share(_ fields: FieldData) throws -> ([UInt8], String) {
            guard let bytes = KeyText.decode(try fields.string("key")) else { throw TresorError.badRequest("'key' must be a valid hex or base64 string") }
            let nonce = try fields.string("nonce")
            guard !nonce.isEmpty else { throw TresorError.badRequest("missing nonce") }
            return (bytes, nonce)
        }
        return [
            PathSpec("rekey/init", fields: [
                FieldSpec("secret_shares", .int), FieldSpec("secret_threshold", .int), FieldSpec("pgp_keys", .commaStringSlice),
                FieldSpec("backup", .bool), FieldSpec("require_verification", .bool), FieldSpec("nonce", .string),
            ], handlers: [
                .read: { _, _ in LogicalResponse(data: try await core.rekeyStatus(), dataAtTopLevel: true) },
                .update: { _, fields in
                    LogicalResponse(data: try await core.startRekey(
                        shares: Int(try fields.int("secret_shares")), threshold: Int(try fields.int("secret_threshold")),
                        requireVerification: try fields.bool("require_verification"), pgpKeys: try fields.strings("pgp_keys"),
                        backup: try fields.bool("backup")), dataAtTopLevel: true)
                },
                .delete: { ctx, fields in
                    // Without a token (break-glass listener), only who holds the nonce may cancel.
                    if ctx.token == nil { try core.requireRekeyNonce(try fields.string("nonce")) }
                    core.cancelRekey()
                    return nil
                },
            ]),
            PathSpec("rekey/update", fields: shareFields, handlers: [
                .update: { _, fields in
                    let (bytes, nonce) = try share(fields)
                    return LogicalResponse(data: try await core.provideRekeyShare(bytes, nonce: nonce), dataAtTopLevel: true)
                },
            ]),
            PathSpec("rekey/verify", fields: shareFields, handlers: [
                .read: { _, _ in LogicalResponse(data: try await core.rekeyVerificationStatus(), dataAtTopLevel: true) },
                .update: { _, fields in
                    let (bytes, nonce) = try share(fields)
                    return LogicalResponse(data: try await core.provideRekeyVerificationShare(bytes, nonce: nonce), dataAtTopLevel: true)
                },
                .delete: { ctx, fields in
                    if ctx.token == nil { try core.requireRekeyNonce(try fields.string("nonce"), verification: true) }
                    return LogicalResponse(data: try await core.restartRekeyVerification(), dataAtTopLevel: true)
                },
            ]),
            PathSpec("rekey/backup", handlers: [
                .read: { _, _ in throw TresorError.badRequest("no backed-up keys found") },
                .delete: { _, _ in nil },
            ]),
        ]
    }
}

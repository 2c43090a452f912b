import Foundation

/// sys/generate-root-token/* (OpenBao's authenticated paths) and sys/generate-root/* (Vault's
/// names, which hvac and the bao CLI use): both require a token with sudo on the path.
extension SystemBackend {
    static let generateRootSudoPaths = ["generate-root/*", "generate-root-token/*"]

    static func generateRootPaths(_ core: Core) -> [PathSpec] {
        ["generate-root", "generate-root-token"].flatMap { base in
            [
                PathSpec("\(base)/attempt", fields: [FieldSpec("otp", .string), FieldSpec("pgp_key", .string), FieldSpec("nonce", .string)], handlers: [
                    .read: { _, _ in LogicalResponse(data: try await core.rootGenerationStatus(), dataAtTopLevel: true) },
                    .update: { _, fields in
                        LogicalResponse(data: try await core.startRootGeneration(otp: try fields.string("otp"), pgpKey: try fields.string("pgp_key")),
                                        dataAtTopLevel: true)
                    },
                    .delete: { ctx, fields in
                        // Without a token (break-glass listener), only who holds the nonce may cancel.
                        if ctx.token == nil { try core.requireRootGenerationNonce(try fields.string("nonce")) }
                        core.cancelRootGeneration()
                        return nil
                    },
                ]),
                PathSpec("\(base)/update", fields: [FieldSpec("key", .string), FieldSpec("nonce", .string)], handlers: [
                    .update: { ctx, fields in
                        let key = try fields.string("key")
                        guard let share = KeyText.decode(key) else { throw TresorError.badRequest("'key' must be a valid hex or base64 string") }
                        let nonce = try fields.string("nonce")
                        guard !nonce.isEmpty else { throw TresorError.badRequest("missing nonce") }
                        return LogicalResponse(data: try await core.provideRootGenerationShare(share, nonce: nonce, storage: ctx.transaction),
                                               dataAtTopLevel: true)
                    },
                ]),
            ]
        }
    }
}

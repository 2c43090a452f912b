import Foundation
import TresorCore

/// `userpass`: users with passwords and the policies their tokens get.
struct UserpassBackend: LogicalBackend, LoginRenewer {
    struct User: Codable, Sendable {
        var password: PasswordHash
        var token: TokenRoleSettings
    }

    let paths: [PathSpec]
    let specialPaths = SpecialPaths(unauthenticated: ["login/*"])

    init(mount: MountEntry) {
        let userFields = [FieldSpec("username", .string), FieldSpec("password", .string)] + TokenRoleSettings.fields
        paths = [
            PathSpec("users/", handlers: [
                .list: { ctx, _ in LogicalResponse.list(try await ctx.storage.list("user/")) },
            ]),
            PathSpec("users/{username}/password", fields: [FieldSpec("password", .string, required: true)], lowercasing: ["username"], handlers: [
                .update: { ctx, fields in
                    let name = Self.normalize(ctx.capture("username"))
                    await ctx.storage.lock("user/" + name)
                    guard var user = try await ctx.storage.getJSON("user/" + name, as: User.self) else {
                        throw TresorError.badRequest("username does not exist")
                    }
                    user.password = try await Self.hash(try fields.string("password"))
                    try await ctx.storage.putJSON("user/" + name, user)
                    return nil
                },
            ]),
            PathSpec("users/{username}/policies", fields: TokenRoleSettings.fields, lowercasing: ["username"], handlers: [
                .update: { ctx, fields in
                    let name = Self.normalize(ctx.capture("username"))
                    await ctx.storage.lock("user/" + name)
                    guard var user = try await ctx.storage.getJSON("user/" + name, as: User.self) else {
                        throw TresorError.badRequest("username does not exist")
                    }
                    try user.token.apply(fields)
                    try await ctx.storage.putJSON("user/" + name, user)
                    return nil
                },
            ]),
            PathSpec("users/{username}", fields: userFields, existenceCheck: { ctx, _ in
                try await ctx.storage.get("user/" + Self.normalize(ctx.capture("username"))) != nil
            }, lowercasing: ["username"], handlers: [
                .read: { ctx, _ in
                    guard let user = try await ctx.storage.getJSON("user/" + Self.normalize(ctx.capture("username")), as: User.self) else { return nil }
                    return LogicalResponse(data: user.token.json)
                },
                .create: { ctx, fields in try await Self.write(ctx, fields, creating: true) },
                .update: { ctx, fields in try await Self.write(ctx, fields, creating: false) },
                .delete: { ctx, _ in
                    try await ctx.storage.delete("user/" + Self.normalize(ctx.capture("username")))
                    return nil
                },
            ]),
            PathSpec("login/{username}", fields: [FieldSpec("password", .string)], lowercasing: ["username"], handlers: [
                .update: { ctx, fields in
                    let name = Self.normalize(ctx.capture("username"))
                    let password = try fields.string("password")
                    let user = try await ctx.storage.getJSON("user/" + name, as: User.self)
                    // The hash is computed either way, so a missing user takes as long as a wrong password.
                    let matches = await (user?.password ?? PasswordHash.decoy).matches(password)
                    guard let user, matches, !password.isEmpty else {
                        throw TresorError.badRequest("invalid username or password")
                    }
                    if !user.token.boundCIDRs.isEmpty, !CIDR.contains(any: user.token.boundCIDRs, address: ctx.request.remoteAddress ?? "") {
                        throw TresorError.badRequest("login request originated from invalid CIDR")
                    }
                    var grant = user.token.grant(displayName: AuthNames.displayPrefix(ctx.mount) + "-" + name,
                                                 metadata: ["username": name], internalData: ["username": name])
                    grant.aliasName = name
                    return LogicalResponse(login: grant)
                },
            ]),
        ]
    }

    static func normalize(_ name: String) -> String { name.lowercased() }

    static func hash(_ password: String) async throws -> PasswordHash {
        guard !password.isEmpty else { throw TresorError.badRequest("missing password") }
        return try await PasswordHash.make(password)
    }

    static func write(_ ctx: RequestContext, _ fields: FieldData, creating: Bool) async throws -> LogicalResponse? {
        let name = normalize(ctx.capture("username"))
        await ctx.storage.lock("user/" + name)
        var user: User
        if let existing = try await ctx.storage.getJSON("user/" + name, as: User.self) {
            user = existing
            if fields.has("password") { user.password = try await hash(try fields.string("password")) }
        } else {
            guard fields.has("password") else { throw TresorError.badRequest("missing password") }
            user = User(password: try await hash(try fields.string("password")), token: TokenRoleSettings())
        }
        try user.token.apply(fields)
        try await ctx.storage.putJSON("user/" + name, user)
        return nil
    }

    func renewLogin(_ token: TokenEntry, storage: StorageView) async throws -> LoginGrant {
        guard let name = token.loginData?["username"],
              let user = try await storage.getJSON("user/" + name, as: User.self) else {
            throw TresorError.badRequest("user no longer exists, not renewing")
        }
        return user.token.grant(displayName: token.displayName, metadata: ["username": name], internalData: ["username": name])
    }
}

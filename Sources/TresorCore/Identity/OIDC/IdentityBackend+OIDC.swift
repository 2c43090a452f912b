import ExtrasBase64
import Foundation
import TresorJSON

/// Identity tokens (`identity/oidc/...`): signed JWTs that prove to a third party which entity a
/// workload is. Named keys sign them, roles say for whom (the audience) and with which claims,
/// and the public keys are published where any OIDC library finds them (`.well-known`).
extension IdentityBackend {
    static let oidcUnauthenticated = ["oidc/.well-known/*"]

    /// The issuer claim: the configured issuer, or the server's API address.
    static func issuer(_ core: Core, _ config: OIDCConfig) -> String {
        (config.issuer.isEmpty ? core.apiAddress : config.issuer) + "/v1/identity/oidc"
    }

    /// The keys that roles use, with their current, next and still-verifiable public halves:
    /// what `.well-known/keys` publishes and what introspection trusts.
    static func publishedKeys(_ store: OIDCStore, now: Date) async throws -> [OIDCPublicKey] {
        var names = Set<String>()
        for role in try await store.roles() { names.insert(role.key) }
        var keys: [OIDCPublicKey] = []
        for name in names.sorted() {
            guard let key = try await store.key(name) else { continue }
            keys += try key.publicKeys(now: now)
        }
        return keys
    }

    static func keyJSON(_ key: OIDCNamedKey) -> [String: JSONValue] {
        ["algorithm": .string(key.algorithm.rawValue), "allowed_client_ids": JSONValue(key.allowedClientIDs),
         "rotation_period": .int(key.rotationPeriod), "verification_ttl": .int(key.verificationTTL)]
    }

    static func oidcPaths(_ core: Core) -> [PathSpec] {
        @Sendable func store(_ ctx: RequestContext) -> OIDCStore { OIDCStore(storage: ctx.transaction) }
        let keyFields = [
            FieldSpec("rotation_period", .duration, default: 86_400), FieldSpec("verification_ttl", .duration, default: 86_400),
            FieldSpec("algorithm", .string, default: "RS256"), FieldSpec("allowed_client_ids", .commaStringSlice),
        ]
        let roleFields = [
            FieldSpec("key", .string), FieldSpec("template", .string), FieldSpec("client_id", .string),
            FieldSpec("ttl", .duration, default: 86_400),
        ]
        return [
            PathSpec("oidc/config", fields: [FieldSpec("issuer", .string)], handlers: [
                .read: { ctx, _ in LogicalResponse(data: ["issuer": .string(try await store(ctx).config().issuer)]) },
                .update: { ctx, fields in
                    var config = try await store(ctx).config()
                    if fields.has("issuer") {
                        let issuer = try fields.string("issuer")
                        guard issuer.isEmpty || validIssuer(issuer) else {
                            throw TresorError.badRequest("invalid issuer, which must include only a scheme, host, and optional port (e.g. https://example.com:8200)")
                        }
                        config.issuer = issuer
                    }
                    try await store(ctx).save(config)
                    guard !config.issuer.isEmpty else { return nil }
                    return LogicalResponse(warnings: [
                        "If \"issuer\" is set explicitly, all tokens must be validated against that address, including those issued by secondary clusters. Setting issuer to \"\" will restore the default behavior of using the cluster's api_addr as the issuer.",
                    ])
                },
            ]),
            PathSpec("oidc/key/", handlers: [
                .list: { ctx, _ in LogicalResponse.list(try await store(ctx).keyNames()) },
            ]),
            PathSpec("oidc/key/{name}", fields: keyFields, handlers: [
                .read: { ctx, _ in
                    guard let key = try await store(ctx).key(ctx.capture("name")) else { return nil }
                    return LogicalResponse(data: keyJSON(key))
                },
                .update: { ctx, fields in
                    let store = store(ctx)
                    let name = ctx.capture("name")
                    var key = try await store.key(name) ?? OIDCNamedKey(name: name)
                    let isNew = key.current == nil
                    let previousAlgorithm = key.algorithm
                    if isNew || fields.has("rotation_period") { key.rotationPeriod = try fields.duration("rotation_period") }
                    if isNew || fields.has("verification_ttl") { key.verificationTTL = try fields.duration("verification_ttl") }
                    if isNew || fields.has("algorithm") {
                        let given = try fields.string("algorithm")
                        guard let algorithm = OIDCAlgorithm(rawValue: given) else { throw TresorError.badRequest("unknown signing algorithm \"\(given)\"") }
                        key.algorithm = algorithm
                    }
                    if fields.has("allowed_client_ids") { key.allowedClientIDs = try fields.strings("allowed_client_ids") }
                    guard key.rotationPeriod >= 60 else { throw TresorError.badRequest("rotation_period must be at least one minute") }
                    guard key.verificationTTL <= 10 * key.rotationPeriod else {
                        throw TresorError.badRequest("verification_ttl cannot be longer than 10x rotation_period")
                    }
                    if !isNew, try await store.roles().contains(where: { $0.key == name && $0.ttl > key.verificationTTL }) {
                        throw TresorError.badRequest("unable to update key \"\(name)\" because it is currently referenced by one or more roles with a token ttl greater than \(key.verificationTTL) seconds")
                    }
                    let now = core.clock()
                    if isNew {
                        try key.ensurePairs(now: now)
                    } else if key.algorithm != previousAlgorithm {
                        try key.rotate(now: now, replaceAll: true)
                    }
                    try await store.save(key)
                    return nil
                },
                .delete: { ctx, _ in
                    let store = store(ctx)
                    let name = ctx.capture("name")
                    guard name != "default" else { throw TresorError.badRequest("deletion of key \"default\" not allowed") }
                    let users = try await store.roles().filter { $0.key == name }.map(\.name)
                    guard users.isEmpty else {
                        throw TresorError.badRequest("unable to delete key \"\(name)\" because it is currently referenced by these roles: \(users.joined(separator: ", "))")
                    }
                    try await store.deleteKey(name)
                    return nil
                },
            ]),
            PathSpec("oidc/key/{name}/rotate", fields: [FieldSpec("verification_ttl", .duration)], handlers: [
                .update: { ctx, fields in
                    let store = store(ctx)
                    let name = ctx.capture("name")
                    guard var key = try await store.key(name) else { throw TresorError.badRequest("no named key found at \"\(name)\"") }
                    // As Vault documents it (and hvac's suite expects), the TTL given here
                    // becomes the key's, for this rotation and the ones after it.
                    if fields.has("verification_ttl") { key.verificationTTL = try fields.duration("verification_ttl") }
                    try key.rotate(now: core.clock())
                    try await store.save(key)
                    return nil
                },
            ]),
            PathSpec("oidc/role/", handlers: [
                .list: { ctx, _ in LogicalResponse.list(try await store(ctx).roleNames()) },
            ]),
            PathSpec("oidc/role/{name}", fields: roleFields, handlers: [
                .read: { ctx, _ in
                    guard let role = try await store(ctx).role(ctx.capture("name")) else { return nil }
                    return LogicalResponse(data: [
                        "client_id": .string(role.clientID), "key": .string(role.key), "template": .string(role.template), "ttl": .int(role.ttl),
                    ])
                },
                .update: { ctx, fields in
                    let store = store(ctx)
                    let name = ctx.capture("name")
                    let existing = try await store.role(name)
                    var role = existing ?? OIDCRole(name: name, key: "", clientID: "")
                    if fields.has("key") { role.key = try fields.string("key") }
                    guard !role.key.isEmpty else { throw TresorError.badRequest("the key parameter is required") }
                    guard var key = try await store.key(role.key) else { throw TresorError.badRequest("cannot find key \"\(role.key)\"") }
                    if fields.has("template") { role.template = try OIDCTemplate.normalise(try fields.string("template")) }
                    if existing == nil || fields.has("ttl") { role.ttl = try fields.duration("ttl") }
                    guard role.ttl <= key.verificationTTL else {
                        throw TresorError.badRequest("a role's token ttl cannot be longer than the verification_ttl of the key it references")
                    }
                    if fields.has("client_id") { role.clientID = try fields.string("client_id") }
                    if role.clientID.isEmpty { role.clientID = TokenCrypto.randomString(26) }
                    if key.current == nil {
                        // The `default` key's pairs are made when a role first uses it.
                        try key.ensurePairs(now: core.clock())
                        try await store.save(key)
                    }
                    try await store.save(role)
                    return nil
                },
                .delete: { ctx, _ in
                    try await store(ctx).deleteRole(ctx.capture("name"))
                    return nil
                },
            ]),
            PathSpec("oidc/token/{name}", handlers: [
                .read: { ctx, _ in
                    let store = store(ctx)
                    let name = ctx.capture("name")
                    guard let role = try await store.role(name) else { throw TresorError.badRequest("role \"\(name)\" not found") }
                    guard let key = try await store.key(role.key), let signer = key.current else {
                        throw TresorError.badRequest("no named key found at \"\(role.key)\"")
                    }
                    guard key.allows(clientID: role.clientID) else {
                        throw TresorError.badRequest("the key \"\(role.key)\" does not list the client ID of the role \"\(name)\" as an allowed client ID")
                    }
                    guard let entityID = ctx.token?.entityID, !entityID.isEmpty, let view = try await core.identityView(entityID: entityID) else {
                        throw TresorError.badRequest("no entity associated with the request's token")
                    }
                    guard !view.disabled else { throw TresorError.permissionDenied }
                    let now = core.clock()
                    let issued = Int64(now.timeIntervalSince1970)
                    var claims = try OIDCTemplate.render(role.template, context: view.context, now: now)
                    claims["iss"] = .string(issuer(core, try await store.config()))
                    claims["sub"] = .string(entityID)
                    claims["aud"] = .string(role.clientID)
                    claims["iat"] = .int(issued)
                    claims["exp"] = .int(issued + role.ttl)
                    claims["namespace"] = "root"
                    let token = try await signer.sign(claims, cache: core.oidcSigners)
                    return LogicalResponse(data: ["client_id": .string(role.clientID), "token": .string(token), "ttl": .int(role.ttl)])
                },
            ]),
            PathSpec("oidc/introspect", fields: [FieldSpec("token", .string), FieldSpec("client_id", .string)], handlers: [
                .update: { ctx, fields in
                    let store = store(ctx)
                    let outcome = try await introspect(try fields.string("token"), clientID: try fields.string("client_id"), core: core, store: store)
                    var body: [String: JSONValue] = ["active": .bool(outcome == nil)]
                    if let outcome { body["error"] = .string(outcome) }
                    return LogicalResponse.raw(status: 200, body: .object(body))
                },
            ]),
            PathSpec("oidc/.well-known/openid-configuration", handlers: [
                .read: { ctx, _ in
                    let issuer = issuer(core, try await store(ctx).config())
                    return LogicalResponse.raw(status: 200, body: [
                        "issuer": .string(issuer), "jwks_uri": .string(issuer + "/.well-known/keys"),
                        "response_types_supported": ["id_token"], "subject_types_supported": ["public"],
                        "id_token_signing_alg_values_supported": JSONValue(OIDCAlgorithm.allCases.map(\.rawValue)),
                    ])
                },
            ]),
            PathSpec("oidc/.well-known/keys", handlers: [
                .read: { ctx, _ in
                    let keys = try await publishedKeys(store(ctx), now: core.clock())
                    return LogicalResponse.raw(status: 200, body: ["keys": .array(try keys.map { try $0.jwk() })])
                },
            ]),
        ]
    }

    /// Why `token` is not an active identity token for `clientID` (any audience when empty),
    /// or nil when it is. The reasons are told to the caller, as Vault does.
    static func introspect(_ token: String, clientID: String, core: Core, store: OIDCStore) async throws -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return "error parsing token: compact JWS format must have three parts" }
        guard let headerBytes = try? Base64.decode(string: String(parts[0]), options: [.base64UrlAlphabet, .omitPaddingCharacter]),
              let header = try? JSONValue.parse(headerBytes, limits: .requestDefault), case .object(let fields) = header else {
            return "error parsing token: the header is not base64url-encoded JSON"
        }
        let now = core.clock()
        guard case .string(let kid)? = fields["kid"],
              let key = try await publishedKeys(store, now: now).first(where: { $0.kid == kid }),
              let claims = try? await key.verify(token) else {
            return "unable to validate the token signature"
        }
        guard case .string(let issuer)? = claims["iss"], issuer == Self.issuer(core, try await store.config()) else {
            return "error validating claims: invalid issuer claim (iss)"
        }
        if !clientID.isEmpty {
            let audience: [String]
            switch claims["aud"] {
            case .string(let one)?: audience = [one]
            case .array(let many)?: audience = many.compactMap(\.stringValue)
            default: audience = []
            }
            guard audience.contains(clientID) else { return "error validating claims: invalid audience claim (aud)" }
        }
        guard case .int(let expiry)? = claims["exp"], expiry > Int64(now.timeIntervalSince1970) else {
            return "error validating claims: token is expired (exp)"
        }
        if case .int(let notBefore)? = claims["nbf"], notBefore > Int64(now.timeIntervalSince1970) {
            return "error validating claims: token not valid yet (nbf)"
        }
        guard case .string(let subject)? = claims["sub"], let entity = try await IdentityStore(storage: store.storage).entity(id: subject) else {
            return "entity was not found"
        }
        return entity.disabled ? "entity is disabled" : nil
    }

    /// A scheme, a host and an optional port, nothing more.
    static func validIssuer(_ issuer: String) -> Bool {
        guard let url = URLComponents(string: issuer), let scheme = url.scheme, ["http", "https"].contains(scheme.lowercased()),
              let host = url.host, !host.isEmpty else { return false }
        return (url.path.isEmpty || url.path == "/") && url.query == nil && url.fragment == nil && url.user == nil
    }

    /// Rotates the keys whose time has come and drops rotated-out public keys past their
    /// verification TTL. Runs on the active node, in a transaction of its own.
    static func maintainOIDCKeys(storage: Storage, now: Date) async throws {
        let store = OIDCStore(storage: storage)
        for name in try await storage.list(OIDCStore.keyPrefix) where !name.hasSuffix("/") {
            guard var key = try await storage.document(OIDCStore.keyPrefix + name, as: OIDCNamedKey.self) else { continue }
            var changed = key.pruneRetired(now: now)
            if key.current != nil, let due = key.nextRotation, due <= now {
                try key.rotate(now: now)
                changed = true
            }
            if changed { try await store.save(key) }
        }
    }
}

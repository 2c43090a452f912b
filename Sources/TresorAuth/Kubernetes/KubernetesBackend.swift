import Foundation
import JWTKit
import TresorCore

/// `kubernetes`: a pod logs in with its service-account JWT; the API server's TokenReview says
/// whether it is genuine, and the role says which service accounts get which policies.
struct KubernetesBackend: LogicalBackend, LoginRenewer {
    static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    let paths: [PathSpec]
    let specialPaths = SpecialPaths(unauthenticated: ["login"])
    private let reviews: TokenReviewClient

    init() {
        let reviews = TokenReviewClient()
        self.reviews = reviews
        paths = [
            PathSpec("config", fields: [
                FieldSpec("kubernetes_host", .string), FieldSpec("kubernetes_ca_cert", .string),
                FieldSpec("token_reviewer_jwt", .string), FieldSpec("pem_keys", .commaStringSlice),
                FieldSpec("issuer", .string), FieldSpec("disable_iss_validation", .bool, default: true),
                FieldSpec("disable_local_ca_jwt", .bool),
            ], handlers: [
                .read: { ctx, _ in
                    guard let config = try await ctx.storage.getJSON("config", as: KubernetesConfig.self) else { return nil }
                    return LogicalResponse(data: config.json)
                },
                .update: { ctx, fields in
                    await ctx.storage.lock("config")
                    var config = try await ctx.storage.getJSON("config", as: KubernetesConfig.self) ?? KubernetesConfig()
                    if fields.has("kubernetes_host") { config.host = try fields.string("kubernetes_host") }
                    guard let url = URL(string: config.host), ["https", "http"].contains(url.scheme ?? ""), url.host != nil else {
                        throw TresorError.badRequest("kubernetes_host must be a URL such as https://kubernetes.default.svc:443")
                    }
                    if fields.has("kubernetes_ca_cert") { config.caCert = try fields.string("kubernetes_ca_cert") }
                    if fields.has("token_reviewer_jwt") { config.tokenReviewerJWT = try fields.string("token_reviewer_jwt") }
                    if fields.has("pem_keys") {
                        config.pemKeys = try fields.strings("pem_keys")
                        _ = try await Self.keys(config.pemKeys)
                    }
                    if fields.has("issuer") { config.issuer = try fields.string("issuer") }
                    if fields.has("disable_iss_validation") { config.disableISSValidation = try fields.bool("disable_iss_validation") }
                    if fields.has("disable_local_ca_jwt") { config.disableLocalCAJWT = try fields.bool("disable_local_ca_jwt") }
                    // Without the pod's own CA file to fall back on, the API server could not be verified.
                    if config.disableLocalCAJWT && config.caCert.isEmpty {
                        throw TresorError.badRequest("kubernetes_ca_cert must be given when disable_local_ca_jwt is true")
                    }
                    try await ctx.storage.putJSON("config", config)
                    return nil
                },
            ]),
            PathSpec("role/", handlers: [.list: { ctx, _ in LogicalResponse.list(try await ctx.storage.list("role/")) }]),
            PathSpec("role/{name}", fields: [
                FieldSpec("name", .string), FieldSpec("bound_service_account_names", .commaStringSlice),
                FieldSpec("bound_service_account_namespaces", .commaStringSlice), FieldSpec("audience", .string),
                FieldSpec("alias_name_source", .string),
            ] + TokenRoleSettings.fields, existenceCheck: { ctx, _ in
                try await ctx.storage.get("role/" + ctx.capture("name").lowercased()) != nil
            }, lowercasing: ["name"], handlers: [
                .read: { ctx, _ in
                    guard let role = try await ctx.storage.getJSON("role/" + ctx.capture("name").lowercased(), as: KubernetesRole.self) else { return nil }
                    return LogicalResponse(data: role.json)
                },
                .create: { ctx, fields in try await Self.writeRole(ctx, fields) },
                .update: { ctx, fields in try await Self.writeRole(ctx, fields) },
                .delete: { ctx, _ in
                    try await ctx.storage.delete("role/" + ctx.capture("name").lowercased())
                    return nil
                },
            ]),
            PathSpec("login", fields: [FieldSpec("role", .string), FieldSpec("jwt", .string)], handlers: [
                .update: { ctx, fields in try await Self.login(ctx, fields, reviews: reviews) },
            ]),
        ]
    }

    static func writeRole(_ ctx: RequestContext, _ fields: FieldData) async throws -> LogicalResponse? {
        let name = ctx.capture("name").lowercased()
        await ctx.storage.lock("role/" + name)
        var role = try await ctx.storage.getJSON("role/" + name, as: KubernetesRole.self) ?? KubernetesRole()
        if fields.has("bound_service_account_names") { role.boundServiceAccountNames = try fields.strings("bound_service_account_names") }
        if fields.has("bound_service_account_namespaces") { role.boundServiceAccountNamespaces = try fields.strings("bound_service_account_namespaces") }
        if fields.has("audience") { role.audience = try fields.string("audience") }
        if fields.has("alias_name_source") {
            let source = try fields.string("alias_name_source")
            guard ["serviceaccount_uid", "serviceaccount_name"].contains(source) else {
                throw TresorError.badRequest("alias_name_source must be serviceaccount_uid or serviceaccount_name")
            }
            role.aliasNameSource = source
        }
        try role.token.apply(fields)
        guard !role.boundServiceAccountNames.isEmpty else { throw TresorError.badRequest("\"bound_service_account_names\" can not be empty") }
        guard !role.boundServiceAccountNamespaces.isEmpty else { throw TresorError.badRequest("\"bound_service_account_namespaces\" can not be empty") }
        // "*" for both names and namespaces is allowed, as in Vault and OpenBao: the role then
        // admits any service account the API server vouches for (and `audience` still binds it).
        try await ctx.storage.putJSON("role/" + name, role)
        return nil
    }

    static func keys(_ pems: [String]) async throws -> JWTKeyCollection {
        let keys = JWTKeyCollection()
        for pem in pems {
            if let rsa = try? Insecure.RSA.PublicKey(pem: pem) {
                await keys.add(rsa: rsa, digestAlgorithm: .sha256)
            } else if let ec = try? ES256PublicKey(pem: pem) {
                await keys.add(ecdsa: ec)
            } else {
                throw TresorError.badRequest("pem_keys: not an RSA or P-256 public key in PEM form")
            }
        }
        return keys
    }

    static func denied(_ reason: String) -> TresorError { TresorError(.permissionDenied, status: 403, messages: [reason]) }

    /// The mount is retired: its connections to the API server close.
    func cleanup() async {
        await reviews.shutdown()
    }

    static func login(_ ctx: RequestContext, _ fields: FieldData, reviews: TokenReviewClient) async throws -> LogicalResponse? {
        let roleName = try fields.string("role").lowercased()
        let jwt = try fields.string("jwt")
        guard !roleName.isEmpty else { throw TresorError.badRequest("missing role") }
        guard !jwt.isEmpty else { throw TresorError.badRequest("missing jwt") }
        guard let role = try await ctx.storage.getJSON("role/" + roleName, as: KubernetesRole.self) else {
            throw TresorError.badRequest("invalid role name \"\(roleName)\"")
        }
        guard var config = try await ctx.storage.getJSON("config", as: KubernetesConfig.self) else {
            throw TresorError.badRequest("could not load backend configuration")
        }
        config = withPodDefaults(config)

        // Parse (and with pem_keys, verify) the JWT before anything goes over the network.
        let claims: ServiceAccountClaims
        do {
            if config.pemKeys.isEmpty {
                claims = try await JWTKeyCollection().unverified(jwt, as: ServiceAccountClaims.self)
                try claims.exp?.verifyNotExpired()
            } else {
                claims = try await keys(config.pemKeys).verify(jwt, as: ServiceAccountClaims.self, iteratingKeys: true)
            }
        } catch let error as JWTError {
            if case .claimVerificationFailure = error.errorType { throw denied("service account jwt has expired") }
            if case .signatureVerificationFailed = error.errorType { throw denied("service account jwt signature could not be verified") }
            throw TresorError.badRequest("jwt is not a valid service account token")
        } catch {
            throw TresorError.badRequest("jwt is not a valid service account token")
        }
        if !config.disableISSValidation && !config.issuer.isEmpty && claims.iss != config.issuer {
            throw denied("invalid issuer (iss) claim")
        }
        guard let namespace = claims.namespace, let name = claims.name else {
            throw TresorError.badRequest("jwt carries no service account name and namespace")
        }
        guard AuthNames.globMatches(role.boundServiceAccountNamespaces, namespace) else {
            throw denied("namespace not authorized")
        }
        guard AuthNames.globMatches(role.boundServiceAccountNames, name) else {
            throw denied("service account name not authorized")
        }
        if !role.audience.isEmpty {
            guard let audience = claims.aud, audience.value.contains(role.audience) else {
                throw denied("invalid audience (aud) claim")
            }
        }

        let bearer = config.tokenReviewerJWT.isEmpty ? jwt : config.tokenReviewerJWT
        let review = try await reviews.review(jwt: jwt, audiences: role.audience.isEmpty ? [] : [role.audience],
                                                               config: config, bearer: bearer)
        guard review.authenticated else {
            throw denied("lookup failed: service account jwt not valid" + (review.error.isEmpty ? "" : ": \(review.error)"))
        }
        guard review.username == "system:serviceaccount:\(namespace):\(name)" else {
            throw denied("JWT names do not match the service account the API server authenticated")
        }
        let uid = review.uid.isEmpty ? (claims.uid ?? "") : review.uid
        let metadata = [
            "role": roleName, "service_account_name": name, "service_account_namespace": namespace,
            "service_account_uid": uid, "service_account_secret_name": claims.secretName ?? "",
        ]
        var grant = role.token.grant(displayName: "\(AuthNames.displayPrefix(ctx.mount))-\(namespace)-\(name)", metadata: metadata,
                                     internalData: ["role": roleName, "namespace": namespace, "name": name])
        grant.aliasName = role.aliasNameSource == "serviceaccount_name" ? "\(namespace)/\(name)" : uid
        return LogicalResponse(login: grant)
    }

    /// Inside a pod, the mounted service-account token and CA are the defaults.
    static func withPodDefaults(_ config: KubernetesConfig) -> KubernetesConfig {
        var config = config
        guard !config.disableLocalCAJWT else { return config }
        if config.caCert.isEmpty, let ca = try? String(contentsOfFile: serviceAccountDirectory + "/ca.crt", encoding: .utf8) {
            config.caCert = ca
        }
        if config.tokenReviewerJWT.isEmpty, let token = try? String(contentsOfFile: serviceAccountDirectory + "/token", encoding: .utf8) {
            config.tokenReviewerJWT = token.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return config
    }

    func renewLogin(_ token: TokenEntry, storage: StorageView) async throws -> LoginGrant {
        guard let roleName = token.loginData?["role"],
              let role = try await storage.getJSON("role/" + roleName, as: KubernetesRole.self),
              let namespace = token.loginData?["namespace"], let name = token.loginData?["name"],
              AuthNames.globMatches(role.boundServiceAccountNamespaces, namespace),
              AuthNames.globMatches(role.boundServiceAccountNames, name) else {
            throw TresorError.badRequest("role no longer admits this service account, not renewing")
        }
        return role.token.grant(displayName: token.displayName, metadata: token.meta, internalData: token.loginData ?? [:])
    }
}

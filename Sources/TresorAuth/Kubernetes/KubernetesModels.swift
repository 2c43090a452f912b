import Foundation
import JWTKit
import TresorCore

struct KubernetesConfig: Codable, Sendable, Equatable {
    var host = ""
    var caCert = ""
    var tokenReviewerJWT = ""
    var pemKeys: [String] = []
    var issuer = ""
    var disableISSValidation = true
    var disableLocalCAJWT = false

    var json: [String: JSONValue] {
        [
            "kubernetes_host": .string(host),
            "kubernetes_ca_cert": .string(caCert),
            "pem_keys": JSONValue(pemKeys),
            "issuer": .string(issuer),
            "disable_iss_validation": .bool(disableISSValidation),
            "disable_local_ca_jwt": .bool(disableLocalCAJWT),
            // The reviewer JWT is a credential: say whether it is set, never what it is.
            "token_reviewer_jwt_set": .bool(!tokenReviewerJWT.isEmpty),
        ]
    }
}

struct KubernetesRole: Codable, Sendable {
    var boundServiceAccountNames: [String] = []
    var boundServiceAccountNamespaces: [String] = []
    var audience = ""
    var aliasNameSource = "serviceaccount_uid"
    var token = TokenRoleSettings()

    var json: [String: JSONValue] {
        var data = token.json
        data["bound_service_account_names"] = JSONValue(boundServiceAccountNames)
        data["bound_service_account_namespaces"] = JSONValue(boundServiceAccountNamespaces)
        data["audience"] = .string(audience)
        data["alias_name_source"] = .string(aliasNameSource)
        return data
    }
}

/// The claims of a Kubernetes service-account token, legacy secret-based or projected.
struct ServiceAccountClaims: JWTPayload {
    struct Projected: Codable, Sendable {
        struct Named: Codable, Sendable {
            var name: String?
            var uid: String?
        }
        var namespace: String?
        var serviceaccount: Named?
        var pod: Named?
    }

    var iss: String?
    var sub: String?
    var exp: ExpirationClaim?
    var aud: AudienceClaim?
    var legacyNamespace: String?
    var legacyName: String?
    var legacyUID: String?
    var secretName: String?
    var projected: Projected?

    enum CodingKeys: String, CodingKey {
        case iss, sub, exp, aud
        case legacyNamespace = "kubernetes.io/serviceaccount/namespace"
        case legacyName = "kubernetes.io/serviceaccount/service-account.name"
        case legacyUID = "kubernetes.io/serviceaccount/service-account.uid"
        case secretName = "kubernetes.io/serviceaccount/secret.name"
        case projected = "kubernetes.io"
    }

    var namespace: String? { projected?.namespace ?? legacyNamespace }
    var name: String? { projected?.serviceaccount?.name ?? legacyName }
    var uid: String? { projected?.serviceaccount?.uid ?? legacyUID }

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp?.verifyNotExpired()
    }
}

import Foundation
import JWTKit
import Testing
@testable import TresorAuth
@_spi(Server) @testable import TresorCore

/// Kubernetes logins with `pem_keys`: the JWT is checked locally, before anything goes to the
/// API server, so a forged, expired or misdirected token never costs a TokenReview (issue 15,
/// point 6). The host points nowhere: a test that reached the network would fail differently.
@Suite struct KubernetesLocalJWTTests {
    let signer = ES256PrivateKey()
    /// A CA of no API server: with `disable_local_ca_jwt`, a CA must be configured.
    static let caPEM = """
        -----BEGIN CERTIFICATE-----
        MIIBkDCCATWgAwIBAgIUdtOYh+U49xE6/7uKEvBAMUEzdxQwCgYIKoZIzj0EAwIw
        HTEbMBkGA1UEAwwSa3ViZXJuZXRlcy10ZXN0LWNhMB4XDTI2MTIwMjA1NDg0MVoX
        DTM2MTEyOTA1NDg0MVowHTEbMBkGA1UEAwwSa3ViZXJuZXRlcy10ZXN0LWNhMFkw
        EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEutZq+p+kXozObYf9AqAEXoTKrQabR5+N
        1ea75YDI/LqWreJECm1iRYPnZZ/GIqtNARMKfQQv24BZUneOutsaFaNTMFEwHQYD
        VR0OBBYEFMCXG4OEQEFyiCKtHr1HYcMyS9t0MB8GA1UdIwQYMBaAFMCXG4OEQEFy
        iCKtHr1HYcMyS9t0MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIh
        APKMzA1wEgWkB2RuVdm9VlTdu5sP1b4zfI9Pdz83J6A3AiEAiA83ICC7DInvYe0U
        MuktDqPDi3lAnCS20Zx562AhgsU=
        -----END CERTIFICATE-----
        """

    func core(issuer: String = "") async throws -> (Core, String) {
        var registry = BackendRegistry()
        AuthMethods.register(into: &registry)
        let core = Core(physical: InMemoryBackend(), registry: registry)
        let (_, root) = try await core.initializeDev(rootTokenID: nil)
        _ = try await request(core, .update, "sys/auth/kubernetes", token: root, data: ["type": "kubernetes"])
        var config: [String: JSONValue] = [
            "kubernetes_host": "https://127.0.0.1:9", "pem_keys": .string(signer.publicKey.pemRepresentation),
            "disable_local_ca_jwt": true, "kubernetes_ca_cert": .string(Self.caPEM),
        ]
        if !issuer.isEmpty {
            config["issuer"] = .string(issuer)
            config["disable_iss_validation"] = false
        }
        _ = try await request(core, .update, "auth/kubernetes/config", token: root, data: config)
        _ = try await request(core, .update, "auth/kubernetes/role/app", token: root,
                              data: ["bound_service_account_names": "app", "bound_service_account_namespaces": "prod", "audience": "tresor"])
        return (core, root)
    }

    func request(_ core: Core, _ op: LogicalOperation, _ path: String, token: String, data: [String: JSONValue] = [:]) async throws(TresorError) -> CoreResponse {
        try await core.handle(LogicalRequest(operation: op, path: path, data: data, clientToken: token, isWrite: op == .update))
    }

    func jwt(namespace: String = "prod", name: String = "app", issuer: String = "https://kubernetes.default.svc",
             audience: String = "tresor", expires: Date = Date().addingTimeInterval(600), key: ES256PrivateKey? = nil) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: key ?? signer)
        let claims = ServiceAccountClaims(
            iss: issuer, sub: "system:serviceaccount:\(namespace):\(name)", exp: ExpirationClaim(value: expires),
            aud: AudienceClaim(value: [audience]),
            projected: .init(namespace: namespace, serviceaccount: .init(name: name, uid: "uid-1"), pod: nil))
        return try await keys.sign(claims)
    }

    func loginError(_ core: Core, _ token: String) async -> TresorError? {
        do {
            _ = try await request(core, .update, "auth/kubernetes/login", token: "", data: ["role": "app", "jwt": .string(token)])
            return nil
        } catch {
            return error
        }
    }

    @Test func aTokenSignedByAnotherKeyIsRefused() async throws {
        let (core, _) = try await core()
        let forged = try await jwt(key: ES256PrivateKey())
        #expect(await loginError(core, forged)?.messages == ["service account jwt signature could not be verified"])
    }

    @Test func anExpiredTokenIsRefused() async throws {
        let (core, _) = try await core()
        let expired = try await jwt(expires: Date().addingTimeInterval(-60))
        #expect(await loginError(core, expired)?.status == 403)
    }

    @Test func boundNamesNamespacesAudienceAndIssuerAreChecked() async throws {
        let (core, _) = try await core(issuer: "https://kubernetes.default.svc")
        #expect(await loginError(core, try await jwt(namespace: "dev"))?.messages == ["namespace not authorized"])
        #expect(await loginError(core, try await jwt(name: "other"))?.messages == ["service account name not authorized"])
        #expect(await loginError(core, try await jwt(audience: "someone-else"))?.messages == ["invalid audience (aud) claim"])
        #expect(await loginError(core, try await jwt(issuer: "https://evil.example"))?.messages == ["invalid issuer (iss) claim"])
        #expect(await loginError(core, "not.a.jwt")?.status == 400)
    }

    @Test func aValidTokenGetsAsFarAsTheAPIServer() async throws {
        // Everything local passes; only the TokenReview, to a host that is not there, fails.
        let (core, _) = try await core(issuer: "https://kubernetes.default.svc")
        let error = await loginError(core, try await jwt())
        #expect(error != nil)
        #expect(error?.messages.contains { $0.contains("namespace") || $0.contains("signature") || $0.contains("audience") } == false)
    }
}

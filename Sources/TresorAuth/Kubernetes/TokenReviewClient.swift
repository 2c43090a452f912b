import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOSSL
import Synchronization
import TresorCore

/// Asks the Kubernetes API server whether a service-account JWT is genuine (TokenReview API).
/// Verifies the API server's certificate against the configured CA; one client per CA. Each
/// Kubernetes mount owns one and shuts it down when the mount is retired.
final class TokenReviewClient: Sendable {
    struct Review: Sendable {
        var authenticated: Bool
        var username: String
        var uid: String
        var error: String
    }

    private let clients = Mutex<[String: HTTPClient]>([:])

    private func client(caPEM: String) throws -> HTTPClient {
        if let existing = clients.withLock({ $0[caPEM] }) { return existing }
        var tls = TLSConfiguration.makeClientConfiguration()
        if !caPEM.isEmpty {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
            } catch {
                throw TresorError.badRequest("kubernetes_ca_cert is not a valid PEM certificate")
            }
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(10))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let (chosen, retired) = clients.withLock { table -> (HTTPClient, [HTTPClient]) in
            if let raced = table[caPEM] { return (raced, [client]) }
            var retired: [HTTPClient] = []
            if table.count > 8 {
                retired = Array(table.values)
                table.removeAll()
            }
            table[caPEM] = client
            return (client, retired)
        }
        // Never a blocking shutdown: this may run on an event loop thread.
        for old in retired { Task { try? await old.shutdown() } }
        return chosen
    }

    /// Closes every connection: the mount that owns this client is gone.
    func shutdown() async {
        let all = clients.withLock { table in
            defer { table.removeAll() }
            return Array(table.values)
        }
        for client in all { try? await client.shutdown() }
    }

    func review(jwt: String, audiences: [String], config: KubernetesConfig, bearer: String) async throws -> Review {
        let host = config.host.hasSuffix("/") ? String(config.host.dropLast()) : config.host
        var request = HTTPClientRequest(url: host + "/apis/authentication.k8s.io/v1/tokenreviews")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer " + bearer)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        var spec: [String: JSONValue] = ["token": .string(jwt)]
        if !audiences.isEmpty { spec["audiences"] = JSONValue(audiences) }
        let body: JSONValue = ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": .object(spec)]
        request.body = .bytes(ByteBuffer(bytes: JSONWriter.encode(body)))
        let response: HTTPClientResponse
        do {
            response = try await client(caPEM: config.caCert).execute(request, timeout: .seconds(10))
        } catch {
            // Whatever went wrong (TLS, DNS, refused), the caller gets a reason, not our internals.
            throw TresorError(.permissionDenied, status: 403, messages: ["lookup failed: cannot reach the Kubernetes API server at \(host): \(Self.describe(error))"])
        }
        let bytes = try await response.body.collect(upTo: 1024 * 1024)
        switch response.status.code {
        case 200, 201: break
        case 401, 403:
            throw TresorError(.permissionDenied, status: 403, messages: ["lookup failed: the Kubernetes API server refused the token review (\(response.status.code)); check token_reviewer_jwt and its RBAC"])
        default:
            throw TresorError(.permissionDenied, status: 403, messages: ["lookup failed: the Kubernetes API server answered \(response.status.code)"])
        }
        guard case .object(let object) = try JSONReader.parse(Array(bytes.readableBytesView)),
              let status = object["status"]?.objectValue else {
            throw TresorError(.permissionDenied, status: 403, messages: ["lookup failed: malformed TokenReview response"])
        }
        let user = status["user"]?.objectValue ?? [:]
        return Review(authenticated: status["authenticated"]?.boolValue ?? false,
                      username: user["username"]?.stringValue ?? "", uid: user["uid"]?.stringValue ?? "",
                      error: status["error"]?.stringValue ?? "")
    }

    static func describe(_ error: Error) -> String {
        if let ssl = error as? NIOSSLError { return "TLS: \(ssl)" }
        if let http = error as? HTTPClientError { return "\(http)" }
        return String(describing: error)
    }
}

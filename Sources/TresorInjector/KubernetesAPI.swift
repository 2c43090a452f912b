import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import TresorJSON

/// The few calls the injector makes to the Kubernetes API server, from inside the cluster: the
/// service account's token and CA, the address from `KUBERNETES_SERVICE_HOST`/`_PORT`, as
/// client-go's in-cluster configuration reads them.
struct KubernetesAPI: Sendable {
    let base: String
    let tokenFile: String
    let client: HTTPClient

    static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    static func inCluster(environment: [String: String]) throws(InjectorError) -> KubernetesAPI {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
              let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw InjectorError("Error loading in-cluster K8S config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set (-tls-auto runs inside a cluster)")
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(serviceAccountDirectory + "/ca.crt"))
        } catch {
            throw InjectorError("Error loading in-cluster K8S config: cannot read \(serviceAccountDirectory)/ca.crt: \(error)")
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(15))
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return KubernetesAPI(base: "https://\(hostPart):\(port)", tokenFile: serviceAccountDirectory + "/token",
                             client: HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration))
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A GET, answered with the object's JSON.
    func get(_ path: String) async throws -> JSONValue {
        let (status, body) = try await send("GET", path, contentType: nil, body: nil)
        guard status == 200 else { throw Failure(description: "GET \(path): status \(status): \(String(decoding: body, as: UTF8.self).prefix(300))") }
        return try JSONValue.parse(body)
    }

    /// An RFC 6902 patch.
    func patch(_ path: String, operations: [JSONValue]) async throws {
        let (status, body) = try await send("PATCH", path, contentType: "application/json-patch+json", body: JSONWriter.encode(.array(operations)))
        guard (200..<300).contains(status) else {
            throw Failure(description: "PATCH \(path): status \(status): \(String(decoding: body, as: UTF8.self).prefix(300))")
        }
    }

    private func send(_ method: String, _ path: String, contentType: String?, body: [UInt8]?) async throws -> (Int, [UInt8]) {
        // Read every time: the kubelet rotates projected tokens.
        let token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        var request = HTTPClientRequest(url: base + path)
        request.method = .RAW(value: method)
        request.headers.add(name: "Authorization", value: "Bearer " + token)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "tresor-injector")
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await client.execute(request, timeout: .seconds(15))
        let bytes = try await response.body.collect(upTo: 8 * 1024 * 1024)
        return (Int(response.status.code), Array(bytes.readableBytesView))
    }
}

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOSSL

/// A small client of the Vault HTTP API: one request in, status and JSON out. The CLI and the
/// transit seal are built on it, so they work against Tresor, Vault and OpenBao alike.
public final class VaultClient: Sendable {
    public struct Response: Sendable {
        public let status: Int
        /// The decoded body; nil when empty.
        public let json: [String: any Sendable]?

        public var errors: [String] { (json?["errors"] as? [Any])?.compactMap { $0 as? String } ?? [] }
        public var data: [String: any Sendable]? { json?["data"] as? [String: any Sendable] }
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public let address: String
    private let client: HTTPClient
    private let timeout: TimeAmount

    /// - Parameters:
    ///   - caCertFile: PEM file of CAs to trust instead of the system's.
    ///   - skipVerify: Trust any certificate (tests, bootstrapping); never the default.
    public init(address: String, caCertFile: String? = nil, skipVerify: Bool = false, timeout: TimeAmount = .seconds(30)) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caCertFile, !caCertFile.isEmpty {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caCertFile))
        }
        if skipVerify { tls.certificateVerification = .none }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(10), read: timeout)
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.address = address.hasSuffix("/") ? String(address.dropLast()) : address
        self.timeout = timeout
    }

    deinit {
        try? client.syncShutdown()
    }

    public func request(_ method: String, _ path: String, token: String? = nil, body: [String: any Sendable]? = nil,
                        headers: [String: String] = [:]) async throws -> Response {
        var request = HTTPClientRequest(url: address + "/v1/" + (path.hasPrefix("/") ? String(path.dropFirst()) : path))
        request.method = .RAW(value: method)
        if let token, !token.isEmpty { request.headers.add(name: "X-Vault-Token", value: token) }
        request.headers.add(name: "X-Vault-Request", value: "true")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            throw Failure(description: "\(method) \(address)/v1/\(path): \(error)")
        }
        let bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        var json: [String: any Sendable]?
        if bytes.readableBytes > 0 {
            let object = try? JSONSerialization.jsonObject(with: Data(buffer: bytes))
            json = object as? [String: any Sendable]
        }
        return Response(status: Int(response.status.code), json: json)
    }
}

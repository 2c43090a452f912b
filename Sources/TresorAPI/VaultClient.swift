import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOSSL
import TresorJSON

/// A small client of the Vault HTTP API: one request in, status and JSON out. The CLI and the
/// transit seal are built on it, so they work against Tresor, Vault and OpenBao alike.
public final class VaultClient: Sendable {
    public struct Response: Sendable {
        public let status: Int
        /// The decoded body; nil when empty or not JSON.
        public let json: JSONValue?
        public let rawBody: [UInt8]

        public var errors: [String] { json?.objectValue?["errors"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        public var data: [String: JSONValue]? { json?.objectValue?["data"]?.objectValue }
        public var isSuccess: Bool { (200..<300).contains(status) }
    }

    /// The request could not be made or answered (connection refused, TLS, timeout).
    public struct TransportFailure: Error, CustomStringConvertible, Sendable {
        public let method: String
        public let url: String
        public let reason: String
        public var description: String { "\(method) \"\(url)\": \(reason)" }
    }

    public let address: String
    private let client: HTTPClient
    /// The underlying client with this one's TLS settings, for a proxy that passes requests on.
    public var httpClient: HTTPClient { client }
    private let timeout: TimeAmount

    /// - Parameters:
    ///   - caCertFile: PEM file of CAs to trust instead of the system's.
    ///   - skipVerify: Trust any certificate (tests, bootstrapping); never the default.
    ///   - caPath: a directory of PEM files of CAs to trust (with or instead of `caCertFile`).
    ///   - clientCertFile, clientKeyFile: a client certificate for listeners that ask for one.
    ///   - proxy: an HTTP proxy (`http://host:port`) to reach the server through, with CONNECT.
    public init(address: String, caCertFile: String? = nil, skipVerify: Bool = false, timeout: TimeAmount = .seconds(60),
                caPath: String? = nil, clientCertFile: String? = nil, clientKeyFile: String? = nil, proxy: String? = nil) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        var roots: [NIOSSLCertificate] = []
        if let caCertFile, !caCertFile.isEmpty {
            roots += try NIOSSLCertificate.fromPEMFile(caCertFile)
        }
        if let caPath, !caPath.isEmpty {
            for name in try FileManager.default.contentsOfDirectory(atPath: caPath).sorted() where !name.hasPrefix(".") {
                roots += try NIOSSLCertificate.fromPEMFile((caPath as NSString).appendingPathComponent(name))
            }
        }
        if !roots.isEmpty { tls.trustRoots = .certificates(roots) }
        if let clientCertFile, !clientCertFile.isEmpty, let clientKeyFile, !clientKeyFile.isEmpty {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(clientCertFile).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: clientKeyFile, format: .pem))
        }
        if skipVerify { tls.certificateVerification = .none }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(10), read: timeout)
        if let proxy, !proxy.isEmpty {
            let endpoint = try ProxyFromEnvironment.endpoint(proxy)
            configuration.proxy = .server(host: endpoint.host, port: endpoint.port)
        }
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.address = address.hasSuffix("/") ? String(address.dropLast()) : address
        self.timeout = timeout
    }

    deinit {
        try? client.syncShutdown()
    }

    /// Transport errors in the words Vault's CLI users know ("connect: connection refused").
    static func describe(_ error: Error, url: String) -> String {
        let text = String(describing: error)
        let host = URLComponents(string: url).map { "\($0.host ?? ""):\($0.port.map(String.init) ?? "")" } ?? url
        if text.contains("Connection refused") || text.contains("errno: 111") { return "dial tcp \(host): connect: connection refused" }
        if text.lowercased().contains("timeout") || text.lowercased().contains("timed out") { return "dial tcp \(host): i/o timeout" }
        if let http = error as? HTTPClientError { return http.description }
        return text
    }

    public func url(_ path: String, query: String? = nil) -> String {
        address + "/v1/" + (path.hasPrefix("/") ? String(path.dropFirst()) : path) + (query.map { "?" + $0 } ?? "")
    }

    public func request(_ method: String, _ path: String, token: String? = nil, body: JSONValue? = nil,
                        query: String? = nil, headers: [String: String] = [:]) async throws -> Response {
        let target = url(path, query: query)
        var request = HTTPClientRequest(url: target)
        request.method = .RAW(value: method)
        if let token, !token.isEmpty { request.headers.add(name: "X-Vault-Token", value: token) }
        request.headers.add(name: "X-Vault-Request", value: "true")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.body = .bytes(ByteBuffer(bytes: JSONWriter.encode(body)))
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            throw TransportFailure(method: method.prefix(1).uppercased() + method.dropFirst().lowercased(), url: target,
                                   reason: Self.describe(error, url: target))
        }
        let bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        let raw = Array(bytes.readableBytesView)
        let json = raw.isEmpty ? nil : try? JSONValue.parse(raw)
        return Response(status: Int(response.status.code), json: json, rawBody: raw)
    }
}

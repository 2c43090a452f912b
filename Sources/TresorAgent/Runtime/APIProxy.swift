import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import VaultHTTP

/// The agent's API proxy: applications on the same host (or in the same pod) send plain Vault
/// API requests to the agent's listener, and the agent passes them to the server, adding its
/// auto-auth token when the request has none (`use_auto_auth_token = true`) or always
/// (`"force"`).
struct APIProxy: Sendable {
    let server: String
    let client: HTTPClient
    let tokenMode: String
    let auth: AutoAuth?
    let log: AgentLog

    func respond(to request: Request) async -> Response {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: 32 * 1024 * 1024)
        } catch {
            return Self.error(413, "request body too large")
        }
        // LINK is how a LIST arrives past the HTTP parser (see VaultHTTP).
        let method = request.method.rawValue == "LINK" ? "LIST" : request.method.rawValue
        var target = server + request.uri.path
        if let query = request.uri.query, !query.isEmpty { target += "?" + query }
        var outgoing = HTTPClientRequest(url: target)
        outgoing.method = .RAW(value: method)
        outgoing.headers = HTTPRelay.headers(of: request, except: tokenMode == "force" ? ["x-vault-token"] : [])
        let hasToken = !(outgoing.headers.first(name: "X-Vault-Token") ?? "").isEmpty
        if tokenMode == "force" || (tokenMode == "true" && !hasToken), let auth, let token = await auth.current?.token {
            outgoing.headers.replaceOrAdd(name: "X-Vault-Token", value: token)
        }
        if body.readableBytes > 0 { outgoing.body = .bytes(body) }
        do {
            return try await HTTPRelay.response(from: try await client.execute(outgoing, timeout: .seconds(90)))
        } catch {
            log.error("proxy", "error forwarding \(method) \(request.uri.path): \(error)")
            return Self.error(502, "error forwarding the request to the server: \(error)")
        }
    }

    static func error(_ status: Int, _ message: String) -> Response {
        let json = "{\"errors\":[\"\(message.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\"]}"
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[.contentLength] = String(json.utf8.count)
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: json)))
    }

    /// One listener of the proxy, bound before the agent starts serving. `quit` is called after
    /// answering `POST /agent/v1/quit` on a listener with `agent_api { enable_quit = true }`.
    static func listener(_ config: AgentConfig.Listener, proxy: APIProxy, logger: Logger,
                         quit: @escaping @Sendable () -> Void = {}) throws -> any Service {
        let address: BindAddress
        if config.type == "unix" {
            try? FileManager.default.removeItem(atPath: config.address)
            address = .unixDomainSocket(path: config.address)
        } else {
            guard let colon = config.address.lastIndex(of: ":"), let port = Int(config.address[config.address.index(after: colon)...]) else {
                throw AgentFailure("listener address \"\(config.address)\" is not host:port")
            }
            address = .hostname(String(config.address[..<colon]), port: port)
        }
        var builder: HTTPServerBuilder = .vaultHTTP1
        if !config.tlsDisable {
            let chain = try NIOSSLCertificate.fromPEMFile(config.tlsCertFile)
            let key = try NIOSSLPrivateKey(file: config.tlsKeyFile, format: .pem)
            builder = try .tls(.vaultHTTP1, tlsConfiguration: .makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                                        privateKey: .privateKey(key)))
        }
        let requireHeader = config.requireRequestHeader
        let enableQuit = config.enableQuit
        let socketMode = config.socketMode
        let path = config.address
        return try builder.buildServer(
            configuration: .init(address: address, serverName: nil), eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger,
            responder: { request, writer, _ in
                let response: Response
                let quitting = enableQuit && request.uri.path == "/agent/v1/quit"
                if requireHeader && request.headers[HTTPField.Name("X-Vault-Request")!] != "true" {
                    response = APIProxy.error(412, "missing 'X-Vault-Request' header")
                } else if quitting {
                    response = request.method == .post ? Response(status: .ok, headers: [.contentLength: "0"]) : APIProxy.error(405, "method not allowed")
                } else {
                    response = await proxy.respond(to: request)
                }
                try await writer.write(response: response.head, body: response.body)
                if quitting && request.method == .post { quit() }
            },
            onServerRunning: { _ in
                if config.type == "unix", let socketMode { chmod(path, mode_t(socketMode)) }
            })
    }
}

@_spi(Server) import TresorCore
import HTTPTypes
import HummingbirdCore
import NIOCore

/// The web UI at `/ui/`: the files of `ui/` embedded at build time (`UIAssets`, written by
/// `scripts/embed-ui.py`), a client of `/v1` like any other. Plain HTML, CSS and ES modules:
/// no npm registry is reachable here, and a build chain is a liability; the browser loads
/// modules itself. Headers forbid inline scripts, other origins and framing.
enum WebUI {
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    private static let files: [String: (contentType: String, body: [UInt8])] = UIAssets.files.mapValues { ($0.contentType, Array($0.body.utf8)) }

    /// Whether `path` belongs to the UI rather than the API.
    static func owns(_ path: String) -> Bool { path == "/" || path == "/ui" || path.hasPrefix("/ui/") }

    static func respond(path: String, method: HTTPRequest.Method) -> Response {
        var headers: HTTPFields = [.date: HTTPDate.now(), .cacheControl: "no-store"]
        headers[HTTPField.Name("Content-Security-Policy")!] = contentSecurityPolicy
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        guard method == .get || method == .head else {
            headers[.allow] = "GET, HEAD"
            headers[.contentLength] = "0"
            return Response(status: .methodNotAllowed, headers: headers, body: .init())
        }
        if path == "/" || path == "/ui" {
            headers[.location] = "/ui/"
            headers[.contentLength] = "0"
            return Response(status: .temporaryRedirect, headers: headers, body: .init())
        }
        guard let file = files[path == "/ui/" ? "/ui/index.html" : path] else {
            let body = Array(#"{"errors":[]}"#.utf8)
            headers[.contentType] = "application/json"
            headers[.contentLength] = String(body.count)
            return Response(status: .notFound, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        headers[.contentType] = file.contentType
        headers[.contentLength] = String(file.body.count)
        if method == .head { return Response(status: .ok, headers: headers, body: .init()) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.body)))
    }
}

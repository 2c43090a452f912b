import AsyncHTTPClient
import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTP1

/// Passing a request on to another server and its answer back, as a standby does to the active
/// node and the agent's API proxy does to the server: end-to-end headers only, the body whole.
public enum HTTPRelay {
    /// Headers that belong to one connection and are never passed on.
    public static let hopByHop: Set<String> = ["host", "connection", "content-length", "transfer-encoding", "keep-alive", "upgrade",
                                               "proxy-connection", "te", "trailer"]

    /// The incoming request's end-to-end headers, less those named in `except` (lowercase).
    public static func headers(of request: Request, except: Set<String> = []) -> HTTPHeaders {
        var headers = HTTPHeaders()
        for field in request.headers where !hopByHop.contains(field.name.canonicalName) && !except.contains(field.name.canonicalName) {
            headers.add(name: field.name.rawName, value: field.value)
        }
        return headers
    }

    /// The other server's answer as this server's response, its body read up to `maxBody` bytes.
    public static func response(from answer: HTTPClientResponse, maxBody: Int = 64 * 1024 * 1024) async throws -> Response {
        let bytes = try await answer.body.collect(upTo: maxBody)
        var headers = HTTPFields()
        for (name, value) in answer.headers where !hopByHop.contains(name.lowercased()) {
            if let fieldName = HTTPField.Name(name) { headers.append(HTTPField(name: fieldName, value: value)) }
        }
        headers[.contentLength] = String(bytes.readableBytes)
        return Response(status: .init(code: Int(answer.status.code)), headers: headers, body: .init(byteBuffer: bytes))
    }
}

import Foundation
import NIOCore
@_spi(Server) import TresorCore

/// Turns the parts of an HTTP request into a `LogicalRequest`, as Vault's HTTP layer does. Kept
/// free of Hummingbird types so every rule here is tested without sockets.
public enum RequestMapper {
    public static let defaultMaxRequestSize = 32 * 1024 * 1024
    /// Headers that name the caller: a request carrying one of them twice is refused, since
    /// servers disagree on which copy counts (Vault and OpenBao take the first, others the last).
    static let identityHeaders = ["x-vault-token", "authorization"]

    public struct Incoming: Sendable {
        public var method: String
        public var rawPath: String
        public var query: String?
        public var headers: [String: String]
        /// Header names (lower-cased) that the request carried more than once.
        public var repeatedHeaders: Set<String>
        public var body: ByteBuffer
        public var remoteAddress: String?
        public var jsonLimits: JSONLimits

        public init(method: String, rawPath: String, query: String? = nil, headers: [String: String] = [:],
                    repeatedHeaders: Set<String> = [], body: ByteBuffer = ByteBuffer(), remoteAddress: String? = nil,
                    jsonLimits: JSONLimits = .requestDefault) {
            self.method = method
            self.rawPath = rawPath
            self.query = query
            self.headers = headers
            self.repeatedHeaders = repeatedHeaders
            self.body = body
            self.remoteAddress = remoteAddress
            self.jsonLimits = jsonLimits
        }

        public init(method: String, rawPath: String, query: String? = nil, headers: [String: String] = [:], body: [UInt8],
                    remoteAddress: String? = nil) {
            self.init(method: method, rawPath: rawPath, query: query, headers: headers, body: ByteBuffer(bytes: body),
                      remoteAddress: remoteAddress)
        }
    }

    public static func map(_ incoming: Incoming) throws(TresorError) -> LogicalRequest {
        for name in identityHeaders where incoming.repeatedHeaders.contains(name) {
            throw .badRequest("multiple \(name == "authorization" ? "Authorization" : "X-Vault-Token") headers in one request")
        }
        let path = try logicalPath(incoming.rawPath)
        var queryItems = parseQuery(incoming.query)
        let listFlag = queryItems.removeValue(forKey: "list").map(isTruthy) ?? false
        let helpFlag = queryItems.removeValue(forKey: "help").map(isTruthy) ?? false

        var operation: LogicalOperation
        var isWrite = false
        switch incoming.method.uppercased() {
        case "GET", "HEAD": operation = listFlag ? .list : .read
        // LINK is how LIST arrives past the HTTP parser (see ListMethodRewriter).
        case "LIST", "LINK": operation = .list
        case "POST", "PUT":
            operation = .update
            isWrite = true
        case "DELETE": operation = .delete
        case "PATCH":
            operation = .patch
            let contentType = incoming.headers["content-type"] ?? ""
            let mediaType = contentType.split(separator: ";").first.map { $0.trimmingWhitespace().lowercased() } ?? ""
            if mediaType.isEmpty {
                throw .badRequest("PATCH requires Content-Type of application/merge-patch+json")
            }
            if mediaType != "application/merge-patch+json" {
                throw TresorError(.badRequest, status: 415, messages: ["PATCH requires Content-Type of application/merge-patch+json, provided \(mediaType)"])
            }
        default:
            throw TresorError(.unsupportedOperation, status: 405, messages: [])
        }
        if helpFlag {
            // Help describes a path; it never performs the write the method would.
            operation = .help
            isWrite = false
        }

        var data: [String: JSONValue] = [:]
        if operation == .read || operation == .list || operation == .delete || operation == .help {
            // Vault reads parameters of reads from the query string.
            for (key, value) in queryItems { data[key] = .string(value) }
        }
        var request = LogicalRequest(operation: operation, path: path, data: data, clientToken: token(incoming.headers),
                                     remoteAddress: incoming.remoteAddress, isWrite: isWrite, headers: incoming.headers)
        request.wrapTTL = try Core.wrapTTL(header: incoming.headers["x-vault-wrap-ttl"])
        if isWrite || operation == .patch || operation == .delete {
            let body = incoming.body, limits = incoming.jsonLimits
            if rawMediaTypes.contains(mediaType(incoming.headers)) {
                request.rawBody = Array(body.readableBytesView)
            } else if !isBlank(body) {
                request.pendingBody = { () throws(TresorError) in try parseBody(body, limits: limits) }
            }
        }
        return request
    }

    /// Bodies handed to the backend unparsed, as Vault's HTTP layer does for OCSP requests.
    static let rawMediaTypes: Set<String> = ["application/ocsp-request"]

    static func mediaType(_ headers: [String: String]) -> String {
        let contentType = headers["content-type"] ?? ""
        return contentType.split(separator: ";").first.map { $0.trimmingWhitespace().lowercased() } ?? ""
    }

    static func isBlank(_ body: ByteBuffer) -> Bool {
        body.readableBytesView.allSatisfy { $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }
    }

    /// The path after `/v1/`, percent-decoded, with relative and empty segments refused rather
    /// than resolved: a request names exactly one path.
    static func logicalPath(_ raw: String) throws(TresorError) -> String {
        guard raw.hasPrefix("/v1/") else {
            throw TresorError.notFound
        }
        guard let decoded = PercentDecoding.decode(raw.dropFirst(4)) else {
            throw .badRequest("invalid path: malformed percent-encoding")
        }
        if decoded.contains("\0") {
            throw .badRequest("invalid path: contains a NUL character")
        }
        // A combining mark after "/" fuses with it into one Character; matching by Character and
        // storing by bytes would then disagree about where segments are. Such paths are refused.
        if !decoded.utf8.allSatisfy({ $0 < 0x80 }),
           decoded.utf8.lazy.filter({ $0 == UInt8(ascii: "/") }).count != decoded.lazy.filter({ $0 == "/" }).count {
            throw .badRequest("invalid path: a path segment may not begin with a combining character")
        }
        let segments = decoded.split(separator: "/", omittingEmptySubsequences: false)
        for (index, segment) in segments.enumerated() {
            if segment == "." || segment == ".." {
                throw .badRequest("relative paths not supported")
            }
            // An empty segment is only allowed as the trailing slash.
            if segment.isEmpty && index != segments.count - 1 {
                throw .badRequest("invalid path: empty path segment")
            }
        }
        return decoded
    }

    static func token(_ headers: [String: String]) -> String {
        if let token = headers["x-vault-token"], !token.isEmpty { return token }
        if let auth = headers["authorization"] {
            let parts = auth.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return ""
    }

    /// Parses a body in place, without copying it out of the buffer it arrived in.
    static func parseBody(_ body: ByteBuffer, limits: JSONLimits = .requestDefault) throws(TresorError) -> [String: JSONValue] {
        if isBlank(body) { return [:] }
        let value = try JSONReader.parse(body.readableBytesView, limits: limits)
        switch value {
        case .object(let object): return object
        case .null: return [:]
        default:
            throw .badRequest("failed to parse JSON input: json: cannot unmarshal \(value.typeName == "map" ? "object" : value.typeName) into Go value of type map[string]interface {}")
        }
    }

    static func parseQuery(_ query: String?) -> [String: String] {
        guard let query, !query.isEmpty else { return [:] }
        var items: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode: (Substring) -> String = { PercentDecoding.decode($0, plusAsSpace: true) ?? String($0) }
            let key = decode(parts[0])
            guard !key.isEmpty else { continue }
            // First value wins, as Go's url.Values.Get does.
            if items[key] == nil { items[key] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return items
    }

    static func isTruthy(_ value: String) -> Bool {
        ["1", "t", "true", "TRUE", "True"].contains(value)
    }
}

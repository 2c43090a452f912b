/// One error type for the whole server: an HTTP status and the messages Vault would put in
/// `{"errors":[...]}`. Handlers throw these; the HTTP layer renders them unchanged.
public struct TresorError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case badRequest, permissionDenied, notFound, unsupportedOperation, payloadTooLarge
        case sealed, internalError, invalidToken, conflict, preconditionFailed, tooManyRequests
    }

    public let code: Code
    public let status: Int
    public let messages: [String]

    public init(_ code: Code, status: Int, messages: [String]) {
        self.code = code
        self.status = status
        self.messages = messages
    }

    public var description: String { "\(status): \(messages.joined(separator: "; "))" }

    public static func badRequest(_ message: String) -> TresorError {
        TresorError(.badRequest, status: 400, messages: [message])
    }
    /// Vault answers every authorisation failure the same way so it leaks nothing.
    public static let permissionDenied = TresorError(.permissionDenied, status: 403, messages: ["permission denied"])
    public static let invalidToken = TresorError(.invalidToken, status: 403, messages: ["permission denied"])
    /// A missing secret is a 404 with an empty error list, which clients treat as "absent".
    public static let notFound = TresorError(.notFound, status: 404, messages: [])
    public static func notFound(_ message: String) -> TresorError {
        TresorError(.notFound, status: 404, messages: [message])
    }
    public static let unsupportedOperation = TresorError(.unsupportedOperation, status: 405, messages: ["unsupported operation"])
    public static let unsupportedPath = TresorError(.notFound, status: 404, messages: ["unsupported path"])
    public static let payloadTooLarge = TresorError(.payloadTooLarge, status: 413, messages: ["http: request body too large"])
    public static let sealed = TresorError(.sealed, status: 503, messages: ["Vault is sealed"])
    public static func internalError(_ message: String) -> TresorError {
        TresorError(.internalError, status: 500, messages: [message])
    }
    public static func conflict(_ message: String) -> TresorError {
        TresorError(.conflict, status: 400, messages: [message])
    }
}

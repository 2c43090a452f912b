import Foundation

/// The `wrap_info` of a wrapped response: the single-use token that unwraps it, and where the
/// response came from, so the receiver can check it was not swapped on the way.
public struct WrapInfo: Sendable {
    public var token: String
    public var accessor: String
    public var ttl: Int64
    public var creationTime: Date
    public var creationPath: String
    /// The accessor of a token that was itself wrapped (token creation, logins).
    public var wrappedAccessor: String?

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "token": .string(token), "accessor": .string(accessor), "ttl": .int(ttl),
            "creation_time": .string(SystemBackend.iso.format(creationTime)), "creation_path": .string(creationPath),
        ]
        if let wrappedAccessor { object["wrapped_accessor"] = .string(wrappedAccessor) }
        return .object(object)
    }
}

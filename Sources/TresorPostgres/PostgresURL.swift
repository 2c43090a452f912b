import Foundation
import PostgresNIO

/// Reads `postgres://user:password@host:port/database?sslmode=...` connection URLs, as the
/// storage backend and the database engine both take them.
public enum PostgresURL {
    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public let description = "connection URL must look like postgres://user:password@host:5432/database"
    }

    public static func configuration(from url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty else {
            throw Invalid()
        }
        let sslmode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS
        switch sslmode {
        case "disable": tls = .disable
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        default: tls = .prefer(.makeClientConfiguration())
        }
        let database = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        return PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: components.user?.removingPercentEncoding ?? "",
            password: components.password?.removingPercentEncoding, database: database.isEmpty ? nil : database, tls: tls)
    }

    /// The URL as a config read shows it: an inline password becomes "xxxxx", as Go's
    /// URL.Redacted writes it for Vault and OpenBao. The `{{password}}` template is no secret and
    /// stays. Works on the text, so a URL too odd to parse is masked all the same.
    public static func maskingPassword(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest[..<(rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex)]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return url }
        let password = authority[authority.index(after: colon)..<at]
        guard !password.isEmpty, password != "{{password}}" else { return url }
        return String(url[..<password.startIndex]) + "xxxxx" + String(url[password.endIndex...])
    }

    /// The URL without its password, for messages.
    public static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "the configured connection URL" }
        if components.password != nil { components.password = "***" }
        return components.string ?? "the configured connection URL"
    }
}

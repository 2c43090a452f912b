import Foundation
import TresorCore
import TresorPostgres

/// `database/config/:name`: how to reach one database as its administrator.
struct DatabaseConfig: Codable, Sendable, Equatable {
    var pluginName: String
    /// May contain {{username}} and {{password}}, filled from the fields below.
    var connectionURL: String
    var username: String
    var password: String
    var allowedRoles: [String]
    var verifyConnection: Bool
    var maxOpenConnections: Int
    var passwordAuthentication: String
    var usernameTemplate: String
    var rootRotationStatements: [String]

    /// What a read shows: never the password.
    var json: [String: JSONValue] {
        [
            "plugin_name": .string(pluginName),
            "connection_details": [
                "connection_url": .string(PostgresURL.maskingPassword(connectionURL)),
                "username": .string(username),
                "max_open_connections": .int(Int64(maxOpenConnections)),
                "password_authentication": .string(passwordAuthentication),
                "username_template": .string(usernameTemplate),
            ],
            "allowed_roles": JSONValue(allowedRoles),
            "verify_connection": .bool(verifyConnection),
            "root_credentials_rotate_statements": JSONValue(rootRotationStatements),
            "password_policy": "",
            "plugin_version": "",
        ]
    }
}

/// `database/roles/:name`: what a dynamic credential is.
struct DatabaseRole: Codable, Sendable {
    var dbName: String
    var creationStatements: [String]
    var revocationStatements: [String]
    var renewStatements: [String]
    var rollbackStatements: [String]
    var defaultTTL: Int64
    var maxTTL: Int64

    var json: [String: JSONValue] {
        [
            "db_name": .string(dbName),
            "creation_statements": JSONValue(creationStatements),
            "revocation_statements": JSONValue(revocationStatements),
            "renew_statements": JSONValue(renewStatements),
            "rollback_statements": JSONValue(rollbackStatements),
            "default_ttl": .int(defaultTTL),
            "max_ttl": .int(maxTTL),
            "credential_type": "password",
        ]
    }
}

enum DatabaseFields {
    /// Statements arrive as one string (several statements separated by ';') or a list of them.
    static func statements(_ value: JSONValue?) throws -> [String] {
        switch value {
        case nil, .null?: return []
        case .string(let text)?: return text.isEmpty ? [] : [text]
        case .array(let items)?:
            return try items.map { item in
                guard case .string(let text) = item else { throw TresorError.badRequest("statements must be strings") }
                return text
            }
        default: throw TresorError.badRequest("statements must be a string or a list of strings")
        }
    }
}

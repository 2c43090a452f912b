import Foundation
import Testing
import GoTemplate
@testable import TresorSecrets

@Suite struct SQLTemplateTests {
    @Test func splitsOnSemicolonsOutsideQuotesAndDollarBodies() {
        let text = """
        CREATE ROLE "{{name}}" WITH PASSWORD 'a;b'; GRANT SELECT ON t TO "x;y";
        CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;;
        """
        let parts = SQLTemplate.split(text)
        #expect(parts.count == 3)
        #expect(parts[0] == #"CREATE ROLE "{{name}}" WITH PASSWORD 'a;b'"#)
        #expect(parts[1] == #"GRANT SELECT ON t TO "x;y""#)
        #expect(parts[2].hasSuffix("LANGUAGE sql") && parts[2].contains("SELECT 1;"))
        #expect(SQLTemplate.split(" ; ;").isEmpty)
    }

    @Test func generatedNamesCannotBreakOutOfQuotes() {
        let hostile = #"evil"; DROP TABLE users; --'"#
        let name = SQLTemplate.username(displayName: hostile, role: hostile, now: Date(timeIntervalSince1970: 1_700_000_000))
        #expect(name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(name.utf8.count <= 63)
        #expect(name.hasPrefix("v-evil---D-evil---D-") && name.hasSuffix("-1700000000"))
        let password = SQLTemplate.password()
        #expect(password.count == 24 && !password.contains("'") && !password.contains("\""))
        #expect(SQLTemplate.password() != password)
    }

    @Test func rendersTemplatesAndTimestamps() {
        let rendered = SQLTemplate.render(#"CREATE ROLE "{{name}}" PASSWORD '{{password}}' VALID UNTIL '{{ expiration }}'"#,
                                          ["name": "v-a", "password": "p", "expiration": SQLTemplate.expiration(Date(timeIntervalSince1970: 0))])
        #expect(rendered == #"CREATE ROLE "v-a" PASSWORD 'p' VALID UNTIL '1970-01-01 00:00:00+0000'"#)
    }
}

/// `database/config/:name` reads never show an inline password.
@Suite struct ConnectionURLMaskingTests {
    @Test(arguments: [
        ("postgresql://admin:s3cret@db.example:5432/app?sslmode=disable", "postgresql://admin:xxxxx@db.example:5432/app?sslmode=disable"),
        ("postgres://admin:p%40ss@db/app", "postgres://admin:xxxxx@db/app"),
        ("postgresql://admin:we{ird@db/app", "postgresql://admin:xxxxx@db/app"),
        ("postgresql://admin:a@b@db/app", "postgresql://admin:xxxxx@db/app"),
        ("postgresql://{{username}}:{{password}}@db:5432/app", "postgresql://{{username}}:{{password}}@db:5432/app"),
        ("postgresql://admin@db/app", "postgresql://admin@db/app"),
    ])
    func inlinePasswordsAreMasked(_ url: String, _ shown: String) {
        let config = DatabaseConfig(pluginName: "postgresql-database-plugin", connectionURL: url, username: "", password: "pw",
                                    allowedRoles: [], verifyConnection: true, maxOpenConnections: 4, passwordAuthentication: "password",
                                    usernameTemplate: "", rootRotationStatements: [])
        let details = config.json["connection_details"]?.objectValue
        #expect(details?["connection_url"] == .string(shown))
        #expect(details?["password"] == nil)
    }
}

/// `username_template` functions against the values Vault's sdk/helper/template gives
/// (computed with Go's definitions: byte lengths, the last bytes replaced by 8 hex digits).
@Suite struct UsernameTemplateFunctionTests {
    func call(_ name: String, _ args: [GoTemplate.Value]) throws -> String {
        let function = try #require(UsernameTemplate.functions[name])
        return try function(args).text
    }

    @Test(arguments: [
        ("truncate", [GoTemplate.Value.int(5), .string("abcdefgh")], "abcde"),
        ("truncate", [.int(50), .string("short")], "short"),
        ("truncate_sha256", [.int(12), .string("abcdefghijklmnopqrstuvwxyz")], "abcdf254ee24"),
        ("truncate_sha256", [.int(28), .string("v-token-my-role-AbCdEf0123456789-1700000000")], "v-token-my-role-AbCd3ddf28e9"),
        ("truncate_sha256", [.int(30), .string("exactly-fits")], "exactly-fits"),
        ("uppercase", [.string("role")], "ROLE"),
        ("lowercase", [.string("RoLe")], "role"),
        ("replace", [.string("-"), .string("_"), .string("a-b-c")], "a_b_c"),
        ("sha256", [.string("rolename")], "ff851c18cea466dc2b7af9d4e2685bb6051fcdadf19fbf9aea28bb7afd960d6c"),
        ("base64", [.string("rolename")], "cm9sZW5hbWU="),
        ("printf", [.string("%s-%d%%"), .string("v"), .int(7)], "v-7%"),
    ])
    func functionsMatchVault(_ name: String, _ args: [GoTemplate.Value], _ expected: String) throws {
        #expect(try call(name, args) == expected)
    }

    @Test func lengthsOutOfRangeAreRefusedAsVaultDoes() throws {
        #expect(throws: (any Error).self) { try call("truncate", [.int(0), .string("x")]) }
        #expect(throws: (any Error).self) { try call("truncate_sha256", [.int(8), .string("abcdefghijk")]) }
        #expect(throws: (any Error).self) { try call("random", [.int(0)]) }
        #expect(try call("random", [.int(20)]).count == 20)
        #expect(try call("uuid", []).count == 36)
    }
}

import HCL
import Testing

@Suite("HCL parsing")
struct HCLParserTests {
    static let policy = #"""
    # Application secrets are read-only.
    path "secret/data/app/*" {
      capabilities = ["read", "list"] // listing lets the UI browse
    }

    /*
     * Admins may write, but only these parameters.
     */
    path "secret/data/admin" {
      capabilities = [
        "create",
        "update",   # the trailing comma is allowed
      ]
      allowed_parameters = {
        "foo" = ["bar", "baz"]
        "*" = []
      }
      denied_parameters = { "password" = [] }
      min_wrapping_ttl = "1s"
      max_wrapping_ttl = 90
    }

    path "secret/data/users/{{identity.entity.id}}/*" {
      capabilities = ["create", "read", "update", "delete"]
    }

    path "sys/policy/deploy" {
      capabilities = ["update"]
      required_parameters = ["policy"]
      description = <<EOT
    Deploy pipeline only.
    Do not widen.
    EOT
    }
    """#

    @Test func emptyInputIsAnEmptyObject() throws {
        #expect(try HCL.parse("") == HCLObject())
        #expect(try HCL.parse(" \n\t# only comments\n// here\n/* and\n here */\n") == HCLObject())
    }

    @Test func vaultPolicy() throws {
        let parsed = try HCL.parse(Self.policy)
        #expect(parsed.entries.map(\.key) == ["path", "path", "path", "path"])
        let paths = parsed.all("path")

        let app: HCLValue = ["secret/data/app/*": ["capabilities": ["read", "list"]]]
        #expect(paths[0] == app)

        let admin: HCLValue = [
            "secret/data/admin": [
                "capabilities": ["create", "update"],
                "allowed_parameters": ["foo": ["bar", "baz"], "*": []],
                "denied_parameters": ["password": []],
                "min_wrapping_ttl": "1s",
                "max_wrapping_ttl": 90,
            ]
        ]
        #expect(paths[1] == admin)

        let templated: HCLValue = [
            "secret/data/users/{{identity.entity.id}}/*": ["capabilities": ["create", "read", "update", "delete"]]
        ]
        #expect(paths[2] == templated)

        let deploy: HCLValue = [
            "sys/policy/deploy": [
                "capabilities": ["update"],
                "required_parameters": ["policy"],
                "description": "Deploy pipeline only.\nDo not widen.\n",
            ]
        ]
        #expect(paths[3] == deploy)
    }

    @Test func vaultServerConfig() throws {
        let config = try HCL.parse(
            """
            storage "raft" {
              path    = "/var/lib/tresor/data"
              node_id = "n1"
              retry_join {
                leader_api_addr = "https://10.0.0.2:8200"
              }
              retry_join {
                leader_api_addr = "https://10.0.0.3:8200"
              }
            }

            listener "tcp" {
              address     = "127.0.0.1:8200"
              tls_disable = 1
            }

            seal "transit" {
              address         = "https://vault.example.com:8200"
              disable_renewal = "false"
              key_name        = "autounseal"
              mount_path      = "transit/"
            }

            api_addr          = "http://127.0.0.1:8200"
            cluster_addr      = "https://127.0.0.1:8201"
            ui                = true
            disable_mlock     = true
            default_lease_ttl = "768h"
            max_lease_ttl     = "768h"
            """)

        #expect(config.entries.map(\.key) == [
            "storage", "listener", "seal", "api_addr", "cluster_addr", "ui", "disable_mlock",
            "default_lease_ttl", "max_lease_ttl",
        ])
        let storage: HCLValue = [
            "raft": [
                "path": "/var/lib/tresor/data",
                "node_id": "n1",
                "retry_join": ["leader_api_addr": "https://10.0.0.2:8200"],
                "retry_join": ["leader_api_addr": "https://10.0.0.3:8200"],
            ]
        ]
        #expect(config["storage"] == storage)
        let listener: HCLValue = ["tcp": ["address": "127.0.0.1:8200", "tls_disable": 1]]
        #expect(config["listener"] == listener)
        guard case .object(let seal) = config["seal"], case .object(let transit) = seal["transit"] else {
            Issue.record("seal \"transit\" block missing")
            return
        }
        #expect(transit["key_name"] == "autounseal")
        #expect(transit["disable_renewal"] == "false")
        #expect(config["api_addr"] == "http://127.0.0.1:8200")
        #expect(config["ui"] == .bool(true))
        #expect(config["missing"] == nil)
    }

    @Test func vaultAgentConfig() throws {
        let config = try HCL.parse(
            #"""
            auto_auth {
              method "approle" {
                config = {
                  role_id_file_path = "/etc/tresor/role-id"
                  remove_secret_id_file_after_reading = false
                }
              }
              sink "file" {
                config = { path = "/run/tresor/token", mode = 0640 }
              }
            }
            template {
              destination = "/etc/app/db.env"
              contents = <<-EOT
                {{ with secret "database/creds/app" }}
                  DB_USER={{ .Data.username }}
                {{ end }}
                EOT
            }
            """#)
        let autoAuth: HCLValue = [
            "method": [
                "approle": [
                    "config": [
                        "role_id_file_path": "/etc/tresor/role-id",
                        "remove_secret_id_file_after_reading": false,
                    ]
                ]
            ],
            "sink": ["file": ["config": ["path": "/run/tresor/token", "mode": 416]]],
        ]
        #expect(config["auto_auth"] == autoAuth)
        let template: HCLValue = [
            "destination": "/etc/app/db.env",
            "contents": "{{ with secret \"database/creds/app\" }}\n  DB_USER={{ .Data.username }}\n{{ end }}\n",
        ]
        #expect(config["template"] == template)
    }

    @Test func jsonPolicyEqualsHCLPolicy() throws {
        let hcl = try HCL.parse(
            """
            path "secret/*" {
              capabilities = ["read", "list"]
              allowed_parameters = { "foo" = ["bar"], "*" = [] }
              max_wrapping_ttl = 300
            }
            """)
        let json = try HCL.parse(
            """
            {
              "path": {
                "secret/*": {
                  "capabilities": ["read", "list"],
                  "allowed_parameters": {"foo": ["bar"], "*": []},
                  "max_wrapping_ttl": 300
                }
              }
            }
            """)
        #expect(hcl == json)
    }

    /// JSON groups all paths under one "path" key while HCL repeats the block;
    /// flattening both gives the same ordered list of rules.
    @Test func multiPathJSONPolicyMatchesHCLWhenFlattened() throws {
        func rules(_ object: HCLObject) -> [String] {
            object.all("path").flatMap { value -> [String] in
                guard case .object(let paths) = value else { return [] }
                return paths.entries.map { "\($0.key) \($0.value)" }
            }
        }
        let hcl = try HCL.parse(
            """
            path "a/*" { capabilities = ["read"] }
            path "b/*" { capabilities = ["deny"] }
            """)
        let json = try HCL.parse(
            #"{"path": {"a/*": {"capabilities": ["read"]}, "b/*": {"capabilities": ["deny"]}}}"#)
        #expect(rules(hcl) == rules(json))
        #expect(rules(hcl).count == 2)
    }

    @Test func jsonValuesOfEveryKind() throws {
        let parsed = try HCL.parse(
            #"{"s": "x\u00e9\ud83d\ude00\/", "n": -1.5e2, "t": true, "f": false, "z": null, "l": [[], [1, {"k": "v"}]], "o": {}}"#
        )
        let expected: HCLObject = [
            "s": "xé😀/", "n": -150, "t": true, "f": false, "z": .null,
            "l": [[], [1, ["k": "v"]]], "o": [:],
        ]
        #expect(parsed == expected)
    }

    @Test func repeatedBlocksKeepSourceOrder() throws {
        let parsed = try HCL.parse(
            """
            path "c" { capabilities = ["read"] }
            ui = false
            path "a" { capabilities = ["list"] }
            path "b" { capabilities = ["deny"] }
            ui = true
            """)
        let order = parsed.all("path").map { value -> String in
            guard case .object(let object) = value else { return "?" }
            return object.entries.first?.key ?? "?"
        }
        #expect(order == ["c", "a", "b"])
        #expect(parsed.all("ui") == [false, true])
        #expect(parsed["ui"] == true)
        #expect(parsed.all("nothing").isEmpty)
    }

    @Test func multipleLabelsNest() throws {
        let parsed = try HCL.parse(#"audit "file" "primary" { path = "/var/log/audit.log" }"#)
        let expected: HCLObject = ["audit": ["file": ["primary": ["path": "/var/log/audit.log"]]]]
        #expect(parsed == expected)
    }

    @Test func blockFormsAreEquivalent() throws {
        let braces = try HCL.parse(#"path "x" { capabilities = ["read"] }"#)
        let equals = try HCL.parse(#"path "x" = { capabilities = ["read"] }"#)
        let colon = try HCL.parse(#"path "x": { capabilities: ["read"] }"#)
        let bareLabel = try HCL.parse(#"path x { capabilities = ["read"] }"#)
        #expect(braces == equals)
        #expect(braces == colon)
        #expect(braces == bareLabel)
    }

    @Test func unlabelledBlockIsAnObject() throws {
        let parsed = try HCL.parse("telemetry {\n  disable_hostname = true\n}\ncache {}\n")
        let expected: HCLObject = ["telemetry": ["disable_hostname": true], "cache": [:]]
        #expect(parsed == expected)
    }

    @Test func objectSeparatorsAreOptional() throws {
        let expected: HCLValue = ["a": 1, "b": "two", "c": [3]]
        #expect(try HCL.parse(#"x = { a = 1 b = "two" c = [3] }"#)["x"] == expected)
        #expect(try HCL.parse(#"x = { a = 1, b = "two", c = [3], }"#)["x"] == expected)
        #expect(try HCL.parse("x = {\n a = 1\n b = \"two\"\n c = [\n3\n]\n}")["x"] == expected)
        #expect(try HCL.parse(#"a = 1 b = 2"#) == ["a": 1, "b": 2])
    }

    @Test func keysMayBeIdentifiersOrStrings() throws {
        let parsed = try HCL.parse(
            """
            plain_key = 1
            dotted.key-with-dash_2 = 2
            "quoted key/*" = 3
            ключ = 4
            """)
        let expected: HCLObject = ["plain_key": 1, "dotted.key-with-dash_2": 2, "quoted key/*": 3, "ключ": 4]
        #expect(parsed == expected)
    }

    @Test func stringEscapes() throws {
        let parsed = try HCL.parse(#"s = "tab\tnl\nq\"bs\\ u\u00e9 U\U0001F600 cr\r""#)
        #expect(parsed["s"] == "tab\tnl\nq\"bs\\ ué U😀 cr\r")
    }

    @Test func interpolationAndTemplatesStayLiteral() throws {
        let parsed = try HCL.parse(
            #"""
            a = "${var.region}-${lookup(map, "key")}"
            b = "secret/data/{{identity.entity.aliases.auth_userpass_1234.name}}/*"
            c = "$${escaped} and ${ {nested} }"
            """#)
        #expect(parsed["a"] == #"${var.region}-${lookup(map, "key")}"#)
        #expect(parsed["b"] == "secret/data/{{identity.entity.aliases.auth_userpass_1234.name}}/*")
        #expect(parsed["c"] == "$${escaped} and ${ {nested} }")
    }

    @Test func numbers() throws {
        let parsed = try HCL.parse(
            """
            int = 42
            negative = -7
            float = 3.25
            negative_float = -0.5
            exponent = 1e3
            signed_exponent = 2.5E-2
            zero = 0
            octal = 0755
            hex = 0x1F
            big = 9007199254740993
            """)
        let expected: HCLObject = [
            "int": 42, "negative": -7, "float": 3.25, "negative_float": -0.5, "exponent": 1000,
            "signed_exponent": 0.025, "zero": 0, "octal": 493, "hex": 31, "big": 9_007_199_254_740_992,
        ]
        #expect(parsed == expected)
    }

    @Test func literals() throws {
        let parsed = try HCL.parse("t = true\nf = false\nn = null\n")
        #expect(parsed == ["t": true, "f": false, "n": .null])
    }

    @Test func lists() throws {
        let parsed = try HCL.parse(
            """
            empty = []
            trailing = [1, 2,]
            multiline = [
              "a",   # comment inside
              "b"
            ]
            nested = [[1], [], [[true]]]
            objects = [{ name = "x" }, { name = "y" }]
            """)
        let expected: HCLObject = [
            "empty": [], "trailing": [1, 2], "multiline": ["a", "b"], "nested": [[1], [], [[true]]],
            "objects": [["name": "x"], ["name": "y"]],
        ]
        #expect(parsed == expected)
    }

    @Test func heredocKeepsTextVerbatim() throws {
        let parsed = try HCL.parse("a = <<EOF\n  indented \\n not an escape\n\n${x}\nEOF\nb = 1\n")
        #expect(parsed["a"] == "  indented \\n not an escape\n\n${x}\n")
        #expect(parsed["b"] == 1)
    }

    @Test func indentedHeredocStripsTheClosingMarkersIndent() throws {
        let parsed = try HCL.parse("a = <<-EOT\n    one\n      two\n\n    three\n    EOT\n")
        #expect(parsed["a"] == "one\n  two\n\nthree\n")
        // A line less indented than the marker makes stripping unsafe, so none happens.
        let ragged = try HCL.parse("a = <<-EOT\n    one\n  two\n    EOT\n")
        #expect(ragged["a"] == "    one\n  two\n")
    }

    @Test func heredocEdgeCases() throws {
        #expect(try HCL.parse("a = <<EOF\nEOF")["a"] == "")
        #expect(try HCL.parse("a = <<EOF\r\nline\r\nEOF\r\nb = 2\r\n") == ["a": "line\n", "b": 2])
        #expect(try HCL.parse("a = <<EOF\nEOFX\nEOF\n")["a"] == "EOFX\n")
        #expect(try HCL.parse("a = [<<A\nx\nA\n, <<B\ny\nB\n]")["a"] == ["x\n", "y\n"])
    }

    @Test func byteOrderMarkAndNulInStringAreAccepted() throws {
        #expect(try HCL.parse("\u{FEFF}a = 1") == ["a": 1])
        #expect(try HCL.parse("a = \"x\u{0}y\"")["a"] == "x\u{0}y")
    }

    @Test func objectEqualityIsOrderSensitive() {
        let ab: HCLObject = ["a": 1, "b": 2]
        let ba: HCLObject = ["b": 2, "a": 1]
        #expect(ab != ba)
        #expect(ab == HCLObject(entries: [(key: "a", value: 1), (key: "b", value: 2)]))
        #expect(ab != ["a": 1])
    }

    @Test func errorDescription() {
        let error = HCLError(line: 3, column: 14, message: "unterminated string")
        #expect(error.description == "At 3:14: unterminated string")
        #expect(hclParseError("a = 1\n\n  b = \"open")?.description == "At 3:7: unterminated string")
    }
}

import Testing
@_spi(Server) @testable import TresorCore

@Suite struct ACLTests {
    func acl(_ text: String, name: String = "p") throws -> ACL {
        ACL(policies: [try PolicyParser.parse(name: name, text: text)])
    }

    @Test func exactGlobAndSegmentWildcards() throws {
        let acl = try acl("""
        path "secret/data/app" { capabilities = ["read"] }
        path "secret/data/team/*" { capabilities = ["read", "list"] }
        path "secret/+/shared/*" { capabilities = ["create", "update"] }
        """)
        #expect(acl.allows(.read, path: "secret/data/app", data: [:], needsSudo: false))
        #expect(!acl.allows(.update, path: "secret/data/app", data: [:], needsSudo: false))
        #expect(!acl.allows(.read, path: "secret/data/app2", data: [:], needsSudo: false))
        #expect(acl.allows(.read, path: "secret/data/team/x/y", data: [:], needsSudo: false))
        #expect(acl.allows(.create, path: "secret/data/shared/k", data: [:], needsSudo: false))
        #expect(!acl.allows(.create, path: "secret/data/extra/shared/k", data: [:], needsSudo: false))
    }

    /// The precedence rules Vault documents, one case each.
    @Test(arguments: [
        // (higher-priority pattern, lower-priority pattern, path that both match)
        ("secret/a/b", "secret/a/*", "secret/a/b"),                 // exact beats glob
        ("secret/a/+", "secret/+/b", "secret/a/b"),                 // later first wildcard wins
        ("secret/a/b", "secret/a/b*", "secret/a/b"),                // not ending in * beats ending in *
        ("secret/+/b/c", "secret/+/+/c", "secret/a/b/c"),           // fewer + wins
        ("secret/a/bc*", "secret/a/b*", "secret/a/bcd"),            // longer wins
    ])
    func precedence(_ high: String, _ low: String, _ path: String) throws {
        let acl = try acl("""
        path "\(high)" { capabilities = ["read"] }
        path "\(low)" { capabilities = ["deny"] }
        """)
        let rule = { (pattern: String) in
            ACL.CompiledRule(Policy.Rule(pattern: pattern, capabilities: .read, allowedParameters: [:], deniedParameters: [:], requiredParameters: []))
        }
        try #require(rule(high).matches(path) && rule(low).matches(path), "both patterns must match \(path)")
        #expect(acl.allows(.read, path: path, data: [:], needsSudo: false), "\(high) should outrank \(low) on \(path)")
        let reversed = try self.acl("""
        path "\(high)" { capabilities = ["deny"] }
        path "\(low)" { capabilities = ["read"] }
        """)
        #expect(!reversed.allows(.read, path: path, data: [:], needsSudo: false))
    }

    @Test func lexicographicOrderBreaksTies() throws {
        let acl = try acl("""
        path "secret/ab*" { capabilities = ["read"] }
        path "secret/aa*" { capabilities = ["deny"] }
        """)
        // Both are globs of equal length; neither matches the other's paths, so each rules its own.
        #expect(acl.allows(.read, path: "secret/abz", data: [:], needsSudo: false))
        #expect(!acl.allows(.read, path: "secret/aaz", data: [:], needsSudo: false))
    }

    @Test func denyWinsWhenPoliciesShareAPath() throws {
        let a = try PolicyParser.parse(name: "a", text: #"path "secret/*" { capabilities = ["read", "list"] }"#)
        let b = try PolicyParser.parse(name: "b", text: #"path "secret/*" { capabilities = ["deny"] }"#)
        let acl = ACL(policies: [a, b])
        #expect(!acl.allows(.read, path: "secret/x", data: [:], needsSudo: false))
        #expect(!acl.allows(.list, path: "secret/", data: [:], needsSudo: false))
        #expect(acl.capabilityNames(on: "secret/x") == ["deny"])
    }

    @Test func capabilitiesMergeAcrossPolicies() throws {
        let a = try PolicyParser.parse(name: "a", text: #"path "secret/x" { capabilities = ["read"] }"#)
        let b = try PolicyParser.parse(name: "b", text: #"path "secret/x" { capabilities = ["update"] }"#)
        let acl = ACL(policies: [a, b])
        #expect(acl.capabilityNames(on: "secret/x") == ["read", "update"])
    }

    @Test func listCannotReadPastADeny() throws {
        let acl = try acl("""
        path "secret/metadata/*" { capabilities = ["list"] }
        path "secret/metadata/private/*" { capabilities = ["deny"] }
        """)
        #expect(acl.allows(.list, path: "secret/metadata/", data: [:], needsSudo: false))
        #expect(!acl.allows(.list, path: "secret/metadata/private/", data: [:], needsSudo: false))
        #expect(!acl.allows(.read, path: "secret/metadata/private/x", data: [:], needsSudo: false))
    }

    @Test func sudoIsRequiredWhereDeclared() throws {
        let acl = try acl(#"path "sys/auth/*" { capabilities = ["create", "update"] }"#)
        #expect(!acl.allows(.update, path: "sys/auth/userpass", data: [:], needsSudo: true))
        let withSudo = try self.acl(#"path "sys/auth/*" { capabilities = ["update", "sudo"] }"#)
        #expect(withSudo.allows(.update, path: "sys/auth/userpass", data: [:], needsSudo: true))
    }

    @Test func parameterConstraints() throws {
        let acl = try acl("""
        path "secret/data/cfg" {
          capabilities = ["create", "update"]
          allowed_parameters = { "data" = [] "options" = [] }
          denied_parameters = { "version" = [] }
          required_parameters = ["data"]
        }
        path "kv/limited" {
          capabilities = ["update"]
          allowed_parameters = { "color" = ["red", "gr*"] }
        }
        """)
        #expect(acl.allows(.update, path: "secret/data/cfg", data: ["data": ["a": "1"]], needsSudo: false))
        #expect(!acl.allows(.update, path: "secret/data/cfg", data: ["options": [:]], needsSudo: false))
        #expect(!acl.allows(.update, path: "secret/data/cfg", data: ["data": [:], "version": 1], needsSudo: false))
        #expect(!acl.allows(.update, path: "secret/data/cfg", data: ["data": [:], "other": 1], needsSudo: false))
        #expect(acl.allows(.update, path: "kv/limited", data: ["color": "red"], needsSudo: false))
        #expect(acl.allows(.update, path: "kv/limited", data: ["color": "green"], needsSudo: false))
        #expect(!acl.allows(.update, path: "kv/limited", data: ["color": "blue"], needsSudo: false))
    }

    @Test func rootPolicyAllowsEverythingAndNamesNormalise() throws {
        let acl = ACL(policies: [PolicyStore.rootPolicy])
        #expect(acl.allows(.delete, path: "sys/anything", data: [:], needsSudo: true))
        #expect(acl.capabilityNames(on: "x") == ["root"])
        #expect(PolicyParser.normalize(" Root ") == "root")
        // A policy merely named like root grants nothing special.
        let fake = try PolicyParser.parse(name: PolicyParser.normalize("Root2"), text: #"path "x" { capabilities = ["read"] }"#)
        #expect(!ACL(policies: [fake]).isRoot)
    }

    @Test func invalidPoliciesAreRejectedWithPositions() throws {
        #expect(throws: TresorError.self) { try PolicyParser.parse(name: "p", text: #"path "x" { capabilities = ["fly"] }"#) }
        #expect(throws: TresorError.self) { try PolicyParser.parse(name: "p", text: #"bogus "x" { }"#) }
        do {
            _ = try PolicyParser.parse(name: "p", text: "path \"x\" {\n  capabilities = [\"read\"\n")
            Issue.record("expected a parse error")
        } catch {
            #expect(error.messages[0].contains("At "), "error names line and column: \(error.messages[0])")
        }
    }

    @Test func jsonPoliciesParse() throws {
        let acl = try acl(#"{"path": {"secret/data/*": {"capabilities": ["read"]}}}"#)
        #expect(acl.allows(.read, path: "secret/data/a", data: [:], needsSudo: false))
    }
}

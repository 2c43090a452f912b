import Foundation
import Testing
@_spi(Server) @testable import TresorCore

/// Regressions for problems found in review: each of these once crashed or let something through.
@Suite struct ReviewRegressionTests {
    @Test func hugeNumbersAreRefusedNotTrapped() async throws {
        let (core, root) = try await TestCore.make()
        for value: JSONValue in [1e19, -1e300, 9_223_372_036_854_775_807, "99999999999999999999s"] {
            await #expect(throws: TresorError.self) {
                _ = try await TestCore.request(core, .update, "auth/token/create", token: root, data: ["ttl": value])
            }
            await #expect(throws: TresorError.self) {
                _ = try await TestCore.request(core, .update, "auth/token/renew-self", token: root, data: ["increment": value])
            }
        }
        #expect(SafeNumbers.int64(1e19) == nil)
        #expect(SafeNumbers.int64(.infinity) == nil)
        #expect(SafeNumbers.int64(42) == 42)
    }

    @Test func onlyRootMayCreatePeriodicTokensAndDefaultComesFromTheParent() async throws {
        let (core, root) = try await TestCore.make()
        let rootEntry = try await core.tokens.lookup(token: root, storage: core.direct)
        var noDefault = TokenParams()
        noDefault.policies = ["a"]
        noDefault.noDefaultPolicy = true
        let (_, parent) = try await core.tokens.create(noDefault, parent: rootEntry, storage: core.direct)
        var periodic = TokenParams()
        periodic.period = 3600
        await #expect(throws: TresorError.badRequest("root or sudo privileges required to create periodic token")) {
            _ = try await core.tokens.create(periodic, parent: parent, storage: core.direct)
        }
        let (_, child) = try await core.tokens.create(TokenParams(), parent: parent, storage: core.direct)
        #expect(child.policies == ["a"])
        var asksForDefault = TokenParams()
        asksForDefault.policies = ["a", "default"]
        await #expect(throws: TresorError.self) {
            _ = try await core.tokens.create(asksForDefault, parent: parent, storage: core.direct)
        }
        var rootChild = TokenParams()
        rootChild.period = 100 * 24 * 3600
        let (_, capped) = try await core.tokens.create(rootChild, parent: rootEntry, storage: core.direct)
        #expect(capped.period == core.tokens.ttl.maxTTL)
    }

    @Test func expiringRootCannotMintNonExpiringRoot() async throws {
        let (core, root) = try await TestCore.make()
        let rootEntry = try await core.tokens.lookup(token: root, storage: core.direct)
        var expiring = TokenParams()
        expiring.policies = ["root"]
        expiring.ttl = 600
        let (_, shortRoot) = try await core.tokens.create(expiring, parent: rootEntry, storage: core.direct)
        var forever = TokenParams()
        forever.policies = ["root"]
        await #expect(throws: TresorError.badRequest("expiring root tokens cannot create non-expiring root tokens")) {
            _ = try await core.tokens.create(forever, parent: shortRoot, storage: core.direct)
        }
    }

    @Test func renewingARevokedTokenDoesNotBringItBack() async throws {
        let (core, root) = try await TestCore.make()
        let rootEntry = try await core.tokens.lookup(token: root, storage: core.direct)
        var params = TokenParams()
        params.policies = ["default"]
        params.ttl = 600
        let (token, stale) = try await core.tokens.create(params, parent: rootEntry, storage: core.direct)
        try await core.tokens.revokeTree(hash: stale.id, storage: core.direct)
        await #expect(throws: TresorError.self) {
            _ = try await core.tokens.renew(stale, increment: 60, storage: core.direct)
        }
        #expect(try await core.tokens.lookup(token: token, storage: core.direct) == nil)
    }

    @Test func canonicallyEquivalentPathsAreDifferentPaths() throws {
        let policy = try PolicyParser.parse(name: "p", text: "path \"secret/data/caf\u{E9}\" { capabilities = [\"read\"] }")
        let acl = ACL(policies: [policy])
        #expect(acl.allows(.read, path: "secret/data/caf\u{E9}", data: [:], needsSudo: false))
        // The same text decomposed is another storage key, so another path.
        #expect(!acl.allows(.read, path: "secret/data/cafe\u{301}", data: [:], needsSudo: false))
        let glob = ACL(policies: [try PolicyParser.parse(name: "g", text: #"path "secret/data/prod*" { capabilities = ["deny"] } path "secret/*" { capabilities = ["read"] }"#)])
        #expect(!glob.allows(.read, path: "secret/data/prod\u{301}x", data: [:], needsSudo: false))
    }

    @Test func operatorSealIsRemembered() async throws {
        let (core, _) = try await TestCore.make()
        core.sealByOperator()
        #expect(core.isSealed && core.isSealedByOperator)
    }
}

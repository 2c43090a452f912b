import Foundation
import Testing
@_spi(Server) @testable import TresorCore

@Suite struct TokenStoreTests {
    func child(_ core: Core, parent: TokenEntry?, _ configure: (inout TokenParams) -> Void = { _ in }) async throws -> (String, TokenEntry) {
        var params = TokenParams()
        params.policies = ["p"]
        configure(&params)
        return try await core.tokens.create(params, parent: parent, storage: core.direct)
    }

    @Test func tokensAreStoredOnlyAsHashes() async throws {
        let (core, root) = try await TestCore.make()
        let physical = core.physical as! InMemoryBackend
        let (token, _) = try await child(core, parent: core.tokens.lookup(token: root, storage: core.direct))
        for (key, value) in physical.allValues() {
            #expect(!key.contains(token) && !key.contains(root))
            #expect(!String(decoding: value, as: UTF8.self).contains(token))
        }
        #expect(token.hasPrefix("hvs."))
    }

    @Test func ttlIsCappedByExplicitMaxAndRenewalRespectsIt() async throws {
        let (core, root) = try await TestCore.make()
        let parent = try await core.tokens.lookup(token: root, storage: core.direct)
        let (_, entry) = try await child(core, parent: parent) {
            $0.ttl = 3600
            $0.explicitMaxTTL = 600
        }
        #expect(entry.creationTTL == 600)
        let renewed = try await core.tokens.renew(entry, increment: 7200, storage: core.direct)
        let left = renewed.expireTime!.timeIntervalSince(entry.creationTime)
        #expect(left <= 600.5)
    }

    @Test func rootTokensAreNotRenewable() async throws {
        let (core, root) = try await TestCore.make()
        let entry = try #require(try await core.tokens.lookup(token: root, storage: core.direct))
        await #expect(throws: TresorError.badRequest("lease is not renewable")) {
            _ = try await core.tokens.renew(entry, increment: 10, storage: core.direct)
        }
    }

    @Test func expiredTokensAreNotFound() async throws {
        let (core, root) = try await TestCore.make()
        let parent = try await core.tokens.lookup(token: root, storage: core.direct)
        let (token, entry) = try await child(core, parent: parent) { $0.ttl = 60 }
        #expect(try await core.tokens.lookup(token: token, storage: core.direct) != nil)
        let later = entry.creationTime.addingTimeInterval(61)
        #expect(try await core.tokens.lookup(token: token, storage: core.direct, now: later) == nil)
    }

    @Test func revokingAParentRevokesTheWholeTree() async throws {
        let (core, root) = try await TestCore.make()
        let rootEntry = try await core.tokens.lookup(token: root, storage: core.direct)
        let (parentToken, parent) = try await child(core, parent: rootEntry)
        let (childToken, childEntry) = try await child(core, parent: parent)
        let (grandchild, _) = try await child(core, parent: childEntry)
        let (orphan, _) = try await child(core, parent: parent) { $0.orphan = true }
        try await core.tokens.revokeTree(hash: parent.id, storage: core.direct)
        for token in [parentToken, childToken, grandchild] {
            #expect(try await core.tokens.lookup(token: token, storage: core.direct) == nil)
        }
        #expect(try await core.tokens.lookup(token: orphan, storage: core.direct) != nil)
    }

    @Test func revokeOrphanKeepsChildren() async throws {
        let (core, root) = try await TestCore.make()
        let rootEntry = try await core.tokens.lookup(token: root, storage: core.direct)
        let (_, parent) = try await child(core, parent: rootEntry)
        let (childToken, _) = try await child(core, parent: parent)
        try await core.tokens.revokeOrphan(hash: parent.id, storage: core.direct)
        let survivor = try #require(try await core.tokens.lookup(token: childToken, storage: core.direct))
        #expect(survivor.isOrphan)
    }

    @Test func childPoliciesMustBeASubsetForNonRootParents() async throws {
        let (core, root) = try await TestCore.make()
        let rootEntry = try await core.tokens.lookup(token: root, storage: core.direct)
        let (_, parent) = try await child(core, parent: rootEntry) { $0.policies = ["a"] }
        await #expect(throws: TresorError.self) {
            _ = try await child(core, parent: parent) { $0.policies = ["b"] }
        }
        let (_, ok) = try await child(core, parent: parent) { $0.policies = ["a"] }
        #expect(ok.policies == ["a", "default"])
    }

    @Test func useLimitedTokensRunOut() async throws {
        let (core, root) = try await TestCore.make()
        let (token, _) = try await child(core, parent: core.tokens.lookup(token: root, storage: core.direct)) {
            $0.numUses = 2
            $0.policies = ["default"]
        }
        let first = try await TestCore.request(core, .read, "auth/token/lookup-self", token: token)
        #expect(first.response?.data?["num_uses"] == 1)
        let second = try await TestCore.request(core, .read, "auth/token/lookup-self", token: token)
        #expect(second.response?.data?["num_uses"] == 0)
        await #expect(throws: TresorError.invalidToken) {
            _ = try await TestCore.request(core, .read, "auth/token/lookup-self", token: token)
        }
    }
}

@Suite struct TokenUseConcurrencyTests {
    /// Issue 15, point 6: however many requests race, a token with five uses serves five.
    @Test func concurrentRequestsSpendEachUseOnce() async throws {
        let (core, root) = try await TestCore.make()
        let created = try await TestCore.request(core, .update, "auth/token/create", token: root, data: ["num_uses": 5, "policies": ["default"]])
        let token = try #require(created.response?.auth?.clientToken)
        let served = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<40 {
                group.addTask { (try? await TestCore.request(core, .read, "auth/token/lookup-self", token: token)) != nil }
            }
            var count = 0
            for await ok in group where ok { count += 1 }
            return count
        }
        #expect(served == 5)
        #expect(try await core.tokens.lookup(token: token, storage: core.direct) == nil)
    }
}

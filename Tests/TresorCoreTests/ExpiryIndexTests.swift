import Foundation
import Testing
@_spi(Server) @testable import TresorCore

/// The expiry index in storage and the window of it held in memory (issue 22).
@Suite struct ExpiryIndexTests {
    @Test func namesSortByDeadlineAndParseBack() throws {
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        let lease = ExpiryDeadline(kind: .lease, id: "database/creds/app/AbC-1", at: base.addingTimeInterval(9))
        let token = ExpiryDeadline(kind: .token, id: String(repeating: "ab", count: 32), at: base.addingTimeInterval(10))
        let early = ExpiryDeadline(kind: .lease, id: "zzz/last/by/name", at: base)
        #expect([token.name, lease.name, early.name].sorted() == [early.name, lease.name, token.name])
        #expect(!lease.name.contains("/"), "a lease id's slashes must not make folders")
        #expect(ExpiryIndex.parse(lease.name) == lease)
        #expect(ExpiryIndex.parse(token.name) == token)
        #expect(lease.deadline == Date(timeIntervalSince1970: 1_800_000_009))
    }

    @Test func hostileNamesAreRefused() {
        for name in ["", "-", "--", "123-l-00", "000000000000001-x-00", "000000000000001-l-0", "000000000000001-l-zz",
                     "000000000000001-t-ABCD", "000000000000001-t-", "+00000000000001-t-ab", "00000000000000a-t-ab",
                     "000000000000001-l-ff", String(repeating: "9", count: 40) + "-t-ab"] {
            #expect(ExpiryIndex.parse(name) == nil, "\(name)")
        }
        // Deadlines far outside the clock's range clamp instead of trapping.
        #expect(ExpiryDeadline(kind: .token, id: "ab", at: Date(timeIntervalSince1970: 1e15)).millis == ExpiryIndex.maxMillis)
        #expect(ExpiryDeadline(kind: .token, id: "ab", at: .distantPast).millis == 0)
    }

    /// The window reads only up to its horizon, at most `capacity` at a time, and holds what
    /// requests schedule inside it.
    @Test func windowRefillsFromTheIndexAPageAtATime() async throws {
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        let entries = (0..<2500).map { ExpiryDeadline(kind: .token, id: String(format: "%064x", $0), at: base.addingTimeInterval(Double($0))) }
        let names = entries.map(\.name).sorted()
        let window = ExpiryWindow(window: 1000, capacity: 600, shardCount: 4)
        var reads = 0
        let page: (String?, Int) async throws -> [String] = { after, limit in
            reads += 1
            let start = after.map { a in names.firstIndex { $0 > a } ?? names.count } ?? 0
            return Array(names[start..<min(names.count, start + limit)])
        }
        try await window.refill(now: base, page: page)
        #expect(window.count == 600, "capped at capacity")
        // Scheduled inside the reach: held; far outside: left to a later refill.
        window.scheduled(ExpiryDeadline(kind: .token, id: "ff", at: base.addingTimeInterval(5000)))
        #expect(window.count == 600)
        let first = window.due(at: base.addingTimeInterval(99.5), limit: 50)
        #expect(first.map(\.id) == entries[0..<50].map(\.id), "oldest first, bounded")
        let rest = window.due(at: base.addingTimeInterval(10_000))
        #expect(rest.map(\.id) == entries[50..<600].map(\.id))
        try await window.refill(now: base, page: page)
        #expect(window.count == 401, "the capped refill went on where it stopped, up to now + window")
        #expect(window.due(at: base.addingTimeInterval(10_000)).map(\.id) == entries[600...1000].map(\.id))
        reads = 0
        try await window.refill(now: base, page: page)
        #expect(reads == 0, "the window still reaches far enough: no read")
        window.reset()
        #expect(window.count == 0)
    }

    @Test func cancelledAndRetriedEntries() {
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        let window = ExpiryWindow(window: 100, capacity: 10)
        let a = ExpiryDeadline(kind: .lease, id: "a/1", at: base)
        let b = ExpiryDeadline(kind: .lease, id: "b/2", at: base.addingTimeInterval(1))
        window.retry(a, at: base)
        window.retry(b, at: base.addingTimeInterval(1))
        window.cancel(a)
        window.retry(b, at: base.addingTimeInterval(50))
        #expect(window.due(at: base.addingTimeInterval(10)).isEmpty, "a cancelled, b moved later")
        #expect(window.due(at: base.addingTimeInterval(60)) == [b])
        #expect(window.count == 0)
    }
}

/// Tokens and leases at unseal: nothing is read, and what expired while sealed is revoked by the
/// expiry loop from the index (issue 22). Tokens take their times from the wall clock, so the
/// manual clock starts there.
@Suite(.serialized) struct ExpiryAtUnsealTests {
    @Test func unsealReadsNoTokenAndTheLoopRevokesOverdueOnes() async throws {
        let clock = ManualClock(start: Date())
        let physical = InMemoryBackend()
        let first = Core(physical: physical, registry: BackendRegistry(), clock: clock.function)
        let (unsealKey, root) = try await first.initializeDev(rootTokenID: nil)
        var short: [String] = []
        for index in 0..<30 {
            let created = try await TestCore.request(first, .update, "auth/token/create", token: root,
                                                     data: ["ttl": index < 20 ? "1m" : "24h", "policies": ["default"]])
            short.append(created.response!.auth!.clientToken)
        }
        let names = try await first.direct.list(ExpiryIndex.prefix)
        #expect(names.count == 30, "every expiring token is in the index (the root token does not expire)")
        first.seal()
        clock.advance(3600)
        let second = Core(physical: physical, registry: BackendRegistry(), clock: clock.function)
        try await second.submitUnsealKey(unsealKey)
        #expect(second.expiry.count == 0, "unseal read no deadline")
        await second.expireDue()
        for (index, token) in short.enumerated() {
            let entry = try await second.tokens.lookup(token: token, storage: second.direct, now: clock.now)
            #expect((entry == nil) == (index < 20))
        }
        #expect(try await second.direct.list(ExpiryIndex.prefix).count == 10, "index entries go with their tokens")
    }

    @Test func renewalMovesTheIndexEntry() async throws {
        let clock = ManualClock(start: Date())
        let core = Core(physical: InMemoryBackend(), registry: BackendRegistry(), clock: clock.function)
        let (_, root) = try await core.initializeDev(rootTokenID: nil)
        let created = try await TestCore.request(core, .update, "auth/token/create", token: root, data: ["ttl": "1m", "policies": ["default"]])
        let token = created.response!.auth!.clientToken
        let before = try await core.direct.list(ExpiryIndex.prefix)
        _ = try await TestCore.request(core, .update, "auth/token/renew-self", token: token, data: ["increment": "10m"])
        let after = try await core.direct.list(ExpiryIndex.prefix)
        #expect(before.count == 1 && after.count == 1 && before != after)
        let entry = try #require(ExpiryIndex.parse(after[0]))
        #expect(abs(entry.deadline.timeIntervalSinceNow - 600) < 5)
        clock.advance(120)
        await core.expireDue()
        #expect(try await core.tokens.lookup(token: token, storage: core.direct, now: clock.now) != nil, "renewed: not revoked at its first deadline")
        clock.advance(600)
        await core.expireDue()
        #expect(try await core.tokens.lookup(token: token, storage: core.direct, now: clock.now - 1) == nil)
        #expect(try await core.direct.list(ExpiryIndex.prefix).isEmpty)
    }
}

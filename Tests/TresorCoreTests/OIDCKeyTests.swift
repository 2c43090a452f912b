import Foundation
import Synchronization
import Testing
@_spi(Server) @testable import TresorCore
import TresorJSON

final class TestClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

@Suite struct OIDCKeyTests {
    static func publishedKIDs(_ core: Core, _ root: String) async throws -> Set<String> {
        let reply = try await TestCore.request(core, .read, "identity/oidc/.well-known/keys", token: root)
        guard case .object(let body)? = reply.response?.raw?.body, case .array(let keys)? = body["keys"] else { return [] }
        return Set(keys.compactMap { $0.objectValue?["kid"]?.stringValue })
    }

    /// Keys rotate on their own when `rotation_period` passes, and a rotated-out public key
    /// leaves the JWKS once its `verification_ttl` has.
    @Test func keysRotateByTheClockAndRetiredKeysExpire() async throws {
        let clock = TestClock()
        let core = Core(physical: InMemoryBackend(), registry: BackendRegistry(), clock: { clock.now })
        let (_, root) = try await core.initializeDev(rootTokenID: nil)
        _ = try await TestCore.request(core, .update, "identity/oidc/key/k", token: root,
                                       data: ["algorithm": "ES256", "rotation_period": "1m", "verification_ttl": "2m"])
        _ = try await TestCore.request(core, .update, "identity/oidc/role/r", token: root, data: ["key": "k", "ttl": "1m"])
        let initial = try await Self.publishedKIDs(core, root)
        #expect(initial.count == 2)
        let first = try #require(try await OIDCStore(storage: core.direct).key("k")?.current?.kid)

        clock.advance(30)
        await core.runPeriodicFunctions()
        #expect(try await Self.publishedKIDs(core, root) == initial)

        clock.advance(31)
        await core.runPeriodicFunctions()
        let rotated = try await Self.publishedKIDs(core, root)
        #expect(rotated.count == 3 && rotated.isSuperset(of: initial))
        let second = try #require(try await OIDCStore(storage: core.direct).key("k")?.current?.kid)
        #expect(second != first && initial.contains(second))

        // The first pair was retired at t+61 for two minutes; at t+182 it is gone, while the
        // second (retired at t+122) stays, with the pairs of the rotations since.
        clock.advance(61)
        await core.runPeriodicFunctions()
        clock.advance(60)
        await core.runPeriodicFunctions()
        let later = try await Self.publishedKIDs(core, root)
        #expect(!later.contains(first) && later.contains(second) && later.count == 4)
    }

    /// Template values are JSON-encoded: a value cannot break out of its string and add or
    /// replace claims.
    @Test func templateValuesCannotInjectClaims() throws {
        let context = IdentityTemplateContext(entityID: "id-1", entityName: #"x", "sub": "forged"#, entityMetadata: ["team": #"a\"b"#],
                                              aliases: [:], groupsByID: ["g1": ("ops", [:])])
        let claims = try OIDCTemplate.render(#"{"n": {{identity.entity.name}}, "t": {{identity.entity.metadata.team}}, "g": {{identity.entity.groups.names}}}"#,
                                             context: context, now: Date(timeIntervalSince1970: 0))
        #expect(claims == ["n": .string(#"x", "sub": "forged"#), "t": .string(#"a\"b"#), "g": ["ops"]])
    }

    @Test func hostileTemplatesAreRefusedWithAClearError() {
        for template in ["{{identity.entity.name", "{\"a\": {{identity.entity.id}}", "[1, 2]", "\"text\"",
                         "{\"a\": {{time.now.plus.forever}}}", "{\"a\": {{identity.groups.names}}}",
                         String(repeating: "[", count: 10_000), "{\"sub\": 1}", "{\"iat\": {{time.now}}}"] {
            #expect(throws: TresorError.self) { try OIDCTemplate.normalise(template) }
        }
        #expect(throws: Never.self) { try OIDCTemplate.normalise("") }
    }
}

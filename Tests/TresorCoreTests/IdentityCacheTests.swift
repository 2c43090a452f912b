import Foundation
import Synchronization
import Testing
@_spi(Server) @testable import TresorCore

final class LoadCounter: Sendable {
    private let loads = Mutex(0)
    func next() -> Int { loads.withLock { $0 += 1; return $0 } }
    var count: Int { loads.withLock { $0 } }
}

@Suite struct IdentityCacheTests {
    static func view(_ policy: String) -> IdentityCache.View {
        IdentityCache.View(disabled: false, policies: [policy],
                           context: IdentityTemplateContext(entityID: "e", entityName: "n", entityMetadata: [:], aliases: [:], groupsByID: [:]))
    }

    @Test func loadsOnceUntilAWriteCommits() async throws {
        let cache = IdentityCache()
        let loads = LoadCounter()
        let load = { () async throws -> IdentityCache.View? in
            Self.view("p\(loads.next())")
        }
        #expect(try await cache.view("e", load: load)?.policies == ["p1"])
        #expect(try await cache.view("e", load: load)?.policies == ["p1"])
        cache.invalidate()
        #expect(try await cache.view("e", load: load)?.policies == ["p2"])
        #expect(loads.count == 2)
    }

    /// A view read while a write committed may be stale: it is answered but not kept.
    @Test func aLoadThatStraddlesAWriteIsNotKept() async throws {
        let cache = IdentityCache()
        _ = try await cache.view("e") {
            cache.invalidate()
            return Self.view("stale")
        }
        #expect(try await cache.view("e") { Self.view("fresh") }?.policies == ["fresh"])
    }
}

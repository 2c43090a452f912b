import Foundation
import Testing
@_spi(Server) @testable import TresorCore

@Suite struct WrappingTests {
    @Test func wrapTTLHeader() throws {
        #expect(try Core.wrapTTL(header: nil) == 0)
        #expect(try Core.wrapTTL(header: "90") == 90)
        #expect(try Core.wrapTTL(header: "5m") == 300)
        for hostile in ["abc", "-5", "1e400", "99999999999999999999", "5 minutes", "\u{0}"] {
            #expect(throws: TresorError.self, "\(hostile)") { try Core.wrapTTL(header: hostile) }
        }
    }

    @Test func wrappedOnceUnwrappedOnce() async throws {
        let (core, root) = try await TestCore.make()
        var request = LogicalRequest(operation: .update, path: "sys/wrapping/wrap", data: ["k": "v"], clientToken: root, isWrite: true)
        request.wrapTTL = 60
        let wrapped = try await core.handle(request)
        let info = try #require(wrapped.response?.wrapInfo)
        #expect(wrapped.response?.data == nil && info.ttl == 60 && info.creationPath == "sys/wrapping/wrap")

        let unwrap = LogicalRequest(operation: .update, path: "sys/wrapping/unwrap", clientToken: info.token, isWrite: true)
        let first = try await core.handle(unwrap)
        #expect(first.response?.data == ["k": "v"])
        await #expect(throws: TresorError.self) { try await core.handle(unwrap) }
        // Its response went with it.
        #expect(try await core.direct.list(Core.wrappedPrefix).isEmpty)
    }

    @Test func aFailedRequestLeavesNoWrappingToken() async throws {
        let (core, root) = try await TestCore.make()
        var request = LogicalRequest(operation: .update, path: "sys/wrapping/wrap", clientToken: root, isWrite: true)
        request.wrapTTL = 0
        await #expect(throws: TresorError.self) { try await core.handle(request) }
        #expect(try await core.direct.list(Core.wrappedPrefix).isEmpty)
    }
}

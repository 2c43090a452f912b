import Testing
@_spi(Server) import TresorCore

@Suite struct KVv1AndCubbyholeTests {
    @Test func kvV1ReadsCarryALease() async throws {
        let kv = try await KVHarness.make()
        try await kv.call(.update, "sys/mounts/v1", ["type": "kv"])
        try await kv.call(.update, "v1/a", ["x": "1"])
        try await kv.call(.update, "v1/b", ["ttl": "1h", "y": "2"])
        #expect(try await kv.call(.read, "v1/a")?.lease?.duration == 2764800)
        #expect(try await kv.call(.read, "v1/b")?.lease?.duration == 3600)
        #expect(try await kv.call(.list, "v1/")?.data?["keys"] == ["a", "b"])
        await #expect(throws: TresorError.badRequest("missing data fields")) { try await kv.call(.update, "v1/c", [:]) }
        try await kv.call(.delete, "v1/a")
        #expect(try await kv.call(.read, "v1/a") == nil)
    }

    @Test func cubbyholesArePerTokenAndDieWithIt() async throws {
        let kv = try await KVHarness.make()
        let created = try await kv.call(.update, "auth/token/create", ["policies": ["default"]])
        let token = try #require(created?.auth?.clientToken)
        try await kv.call(.update, "cubbyhole/x", ["v": "mine"], token: token)
        #expect(try await kv.call(.read, "cubbyhole/x", token: token)?.data == ["v": "mine"])
        #expect(try await kv.call(.read, "cubbyhole/x") == nil)
        try await kv.call(.update, "auth/token/revoke", ["token": .string(token)])
        let physical = kv.core.physical as! InMemoryBackend
        let cubbyPrefix = try #require(kv.core.routes.mounts.first { $0.type == "cubbyhole" }).storagePrefix
        #expect(!physical.allValues().keys.contains { $0.hasPrefix(cubbyPrefix) })
    }
}

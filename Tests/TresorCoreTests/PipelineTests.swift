import Testing
@_spi(Server) @testable import TresorCore

@Suite struct PipelineTests {
    @Test func aFailingHandlerLeavesNoWrites() async throws {
        let (core, root) = try await TestCore.make()
        let tx = RequestTransaction(barrier: core.barrier, locks: core.locks)
        try await core.enableMount(MountEntry(path: "probe", type: "probe", kind: .secret), transaction: tx)
        try await tx.commit()

        await #expect(throws: TresorError.badRequest("boom")) {
            _ = try await TestCore.request(core, .update, "probe/write-two-then-fail", token: root)
        }
        for key in ["a", "b"] {
            let read = try await TestCore.request(core, .read, "probe/has/\(key)", token: root)
            #expect(read.response?.data?["present"] == false)
        }

        _ = try await TestCore.request(core, .update, "probe/write-two", token: root)
        for key in ["a", "b"] {
            let read = try await TestCore.request(core, .read, "probe/has/\(key)", token: root)
            #expect(read.response?.data?["present"] == true)
        }
    }

    @Test func unknownTokensAndPathsAreRefused() async throws {
        let (core, root) = try await TestCore.make()
        await #expect(throws: TresorError.invalidToken) {
            _ = try await TestCore.request(core, .read, "secret/data/x", token: "hvs.bogus")
        }
        do {
            _ = try await TestCore.request(core, .read, "nowhere/x", token: root)
            Issue.record("expected 404")
        } catch {
            #expect(error.status == 404)
        }
    }

    @Test func unsupportedOperationIs405() async throws {
        let (core, root) = try await TestCore.make()
        do {
            _ = try await TestCore.request(core, .delete, "sys/seal-status", token: root)
            Issue.record("expected 405")
        } catch {
            #expect(error.status == 405)
        }
    }

    @Test func sealedCoreAnswers503ExceptStatus() async throws {
        let (core, root) = try await TestCore.make()
        core.seal()
        await #expect(throws: TresorError.sealed) {
            _ = try await TestCore.request(core, .read, "secret/data/x", token: root)
        }
        let status = try await TestCore.request(core, .read, "sys/seal-status", token: "")
        #expect(status.response?.raw?.body?.objectValue?["sealed"] == true)
    }

    @Test func concurrentMountChangesAreNotLost() async throws {
        let (core, root) = try await TestCore.make()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 {
                group.addTask {
                    _ = try await TestCore.request(core, .update, "sys/mounts/kv\(i)", token: root, data: ["type": "probe"])
                }
            }
            try await group.waitForAll()
        }
        let mounts = core.routes.mounts.filter { $0.type == "probe" }
        #expect(mounts.count == 20)
        let stored = try await core.direct.getJSON(Core.mountsPath, as: [MountEntry].self) ?? []
        #expect(stored.filter { $0.type == "probe" }.count == 20)
    }
}

import Testing
@_spi(Server) import TresorCore

@Suite struct KVv2Tests {
    @Test func versionsAreNeverRewritten() async throws {
        let kv = try await KVHarness.make()
        try await kv.call(.update, "secret/data/a", ["data": ["v": "1"]])
        try await kv.call(.update, "secret/data/a", ["data": ["v": "2"]])
        let first = try await kv.call(.read, "secret/data/a", ["version": "1"])
        #expect(first?.data?["data"] == ["v": "1"])
        let latest = try await kv.call(.read, "secret/data/a")
        #expect(latest?.data?["metadata"]?.objectValue?["version"] == 2)
    }

    @Test func checkAndSet() async throws {
        let kv = try await KVHarness.make()
        try await kv.call(.update, "secret/data/c", ["data": ["v": "1"], "options": ["cas": 0]])
        await #expect(throws: TresorError.badRequest("check-and-set parameter did not match the current version")) {
            try await kv.call(.update, "secret/data/c", ["data": ["v": "2"], "options": ["cas": 0]])
        }
        try await kv.call(.update, "secret/config", ["cas_required": true])
        await #expect(throws: TresorError.badRequest("check-and-set parameter required for this call")) {
            try await kv.call(.update, "secret/data/c", ["data": ["v": "2"]])
        }
        try await kv.call(.update, "secret/data/c", ["data": ["v": "2"], "options": ["cas": 1]])
    }

    @Test func deleteUndeleteDestroy() async throws {
        let kv = try await KVHarness.make()
        try await kv.call(.update, "secret/data/d", ["data": ["v": "1"]])
        try await kv.call(.update, "secret/data/d", ["data": ["v": "2"]])
        try await kv.call(.update, "secret/delete/d", ["versions": ["2"]])
        let deleted = try await kv.call(.read, "secret/data/d")
        #expect(deleted?.statusCode == 404)
        #expect(deleted?.data?["data"] == .null)
        try await kv.call(.update, "secret/undelete/d", ["versions": [2]])
        #expect(try await kv.call(.read, "secret/data/d")?.data?["data"] == ["v": "2"])
        try await kv.call(.update, "secret/destroy/d", ["versions": [1]])
        let destroyed = try await kv.call(.read, "secret/data/d", ["version": "1"])
        #expect(destroyed?.data?["metadata"]?.objectValue?["destroyed"] == true)
        // Destroyed stays destroyed.
        try await kv.call(.update, "secret/undelete/d", ["versions": [1]])
        #expect(try await kv.call(.read, "secret/data/d", ["version": "1"])?.statusCode == 404)
        await #expect(throws: TresorError.badRequest("No version number provided")) {
            try await kv.call(.update, "secret/delete/d", [:])
        }
    }

    @Test func maxVersionsTrimsOldest() async throws {
        let kv = try await KVHarness.make()
        try await kv.call(.update, "secret/config", ["max_versions": 2])
        for i in 1...4 { try await kv.call(.update, "secret/data/m", ["data": ["n": .int(Int64(i))]]) }
        let meta = try #require(try await kv.call(.read, "secret/metadata/m")?.data)
        #expect(meta["versions"]?.objectValue?.keys.sorted() == ["3", "4"])
        #expect(meta["oldest_version"] == 3)
        #expect(try await kv.call(.read, "secret/data/m", ["version": "1"]) == nil)
    }

    @Test func mergePatch() async throws {
        let kv = try await KVHarness.make()
        try await kv.call(.update, "secret/data/p", ["data": ["a": "1", "b": ["x": "1", "y": "2"]]])
        try await kv.call(.patch, "secret/data/p", ["data": ["a": .null, "b": ["y": "3"], "c": "new"]])
        #expect(try await kv.call(.read, "secret/data/p")?.data?["data"] == ["b": ["x": "1", "y": "3"], "c": "new"])
        let missing = try await kv.call(.patch, "secret/data/none", ["data": ["a": "1"]])
        #expect(missing?.raw?.status == 404)
    }

    @Test func metadataWritesMergeAndDeleteRemovesEverything() async throws {
        let kv = try await KVHarness.make()
        try await kv.call(.update, "secret/metadata/empty", [:])
        #expect(try await kv.call(.read, "secret/metadata/empty") == nil)
        try await kv.call(.update, "secret/data/md", ["data": ["v": "1"]])
        try await kv.call(.update, "secret/metadata/md", ["max_versions": 3, "custom_metadata": ["team": "a"]])
        try await kv.call(.update, "secret/metadata/md", ["cas_required": true])
        let meta = try #require(try await kv.call(.read, "secret/metadata/md")?.data)
        #expect(meta["max_versions"] == 3 && meta["cas_required"] == true && meta["custom_metadata"] == ["team": "a"])
        try await kv.call(.patch, "secret/metadata/md", ["custom_metadata": ["team": .null, "env": "prod"]])
        #expect(try await kv.call(.read, "secret/metadata/md")?.data?["custom_metadata"] == ["env": "prod"])
        try await kv.call(.delete, "secret/metadata/md")
        #expect(try await kv.call(.read, "secret/data/md") == nil)
        #expect(try await kv.call(.list, "secret/metadata/") == nil)
    }

    @Test func listAndSubkeys() async throws {
        let kv = try await KVHarness.make()
        try await kv.call(.update, "secret/data/dir/a", ["data": ["k": ["deep": ["x": 1]], "top": "v"]])
        try await kv.call(.update, "secret/data/dir/sub/b", ["data": ["k": "v"]])
        #expect(try await kv.call(.list, "secret/metadata/dir/")?.data?["keys"] == ["a", "sub/"])
        let subkeys = try await kv.call(.read, "secret/subkeys/dir/a")?.data?["subkeys"]
        #expect(subkeys == ["k": ["deep": ["x": .null]], "top": .null])
        let shallow = try await kv.call(.read, "secret/subkeys/dir/a", ["depth": "1"])?.data?["subkeys"]
        #expect(shallow == ["k": .null, "top": .null])
    }

    @Test func deleteVersionAfterExpiresVersions() async throws {
        let kv = try await KVHarness.make()
        try await kv.call(.update, "secret/metadata/t", ["delete_version_after": "1s"])
        let written = try #require(try await kv.call(.update, "secret/data/t", ["data": ["v": "1"]])?.data)
        #expect(written["deletion_time"]?.stringValue?.isEmpty == false)
        #expect(try await kv.call(.read, "secret/data/t")?.data?["data"] == ["v": "1"])
        try await Task.sleep(for: .milliseconds(1_300))
        // Past its deletion time the version reads as deleted: no data, its metadata says when.
        let expired = try await kv.call(.read, "secret/data/t")
        #expect(expired?.data?["data"] == nil || expired?.data?["data"] == .null)
        #expect(expired?.data?["metadata"]?.objectValue?["deletion_time"]?.stringValue?.isEmpty == false)
    }

    @Test func upgradingAV1MountKeepsItsData() async throws {
        let kv = try await KVHarness.make()
        try await kv.call(.update, "sys/mounts/old", ["type": "kv"])
        try await kv.call(.update, "old/app/config", ["user": "u"])
        try await kv.call(.update, "old/top", ["n": 1])
        try await kv.call(.update, "sys/mounts/old/tune", ["options": ["version": "2"]])
        #expect(try await kv.call(.read, "old/data/app/config")?.data?["data"] == ["user": "u"])
        #expect(try await kv.call(.read, "old/data/top")?.data?["data"] == ["n": 1])
        #expect(try await kv.call(.list, "old/metadata/")?.data?["keys"] == ["app/", "top"])
        await #expect(throws: TresorError.self) {
            try await kv.call(.update, "sys/mounts/old/tune", ["options": ["version": "1"]])
        }
    }
}

/// Concurrency the review found untested (issue 15, point 6).
@Suite struct KVConcurrencyTests {
    @Test func concurrentCheckAndSetLetsExactlyOneWriterWin() async throws {
        let kv = try await KVHarness.make()
        try await kv.call(.update, "secret/data/race", ["data": ["v": "start"]])
        let winners = await withTaskGroup(of: Bool.self) { group in
            for writer in 0..<24 {
                group.addTask {
                    (try? await kv.call(.update, "secret/data/race", ["options": ["cas": 1], "data": ["v": .string("w\(writer)")]])) != nil
                }
            }
            var count = 0
            for await won in group where won { count += 1 }
            return count
        }
        #expect(winners == 1)
        let metadata = try #require(try await kv.call(.read, "secret/metadata/race")?.data)
        #expect(metadata["current_version"] == 2)
    }
}

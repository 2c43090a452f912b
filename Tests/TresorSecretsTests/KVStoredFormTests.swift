import Foundation
import Testing
@_spi(Server) import TresorCore
@testable import TresorSecrets

/// KV records are mapped to JSON by hand; these check the mapping reads what Foundation's
/// synthesized Codable wrote before it (existing storage) and round-trips every field.
@Suite struct KVStoredFormTests {
    /// The shape KVMetadata had with synthesized Codable.
    private struct CodableMetadata: Codable {
        struct Version: Codable {
            var createdTime: Date
            var deletionTime: Date?
            var destroyed: Bool
        }
        var casRequired: Bool
        var createdTime: Date
        var currentMetadataVersion: Int64
        var currentVersion: Int64
        var customMetadata: [String: String]?
        var deleteVersionAfter: Int64
        var maxVersions: Int64
        var oldestVersion: Int64
        var updatedTime: Date
        var versions: [Int64: Version]
    }

    @Test func readsTheFormatSynthesizedCodableWrote() throws {
        let created = Date(timeIntervalSinceReferenceDate: 817_000_000.123456)
        let deleted = Date(timeIntervalSinceReferenceDate: 817_000_100.5)
        let legacy = CodableMetadata(
            casRequired: true, createdTime: created, currentMetadataVersion: 2, currentVersion: 3,
            customMetadata: ["team": "ops"], deleteVersionAfter: 60, maxVersions: 5, oldestVersion: 1, updatedTime: deleted,
            versions: [1: .init(createdTime: created, deletionTime: deleted, destroyed: false),
                       3: .init(createdTime: deleted, deletionTime: nil, destroyed: true)])
        let bytes = Array(try JSONEncoder().encode(legacy))
        let meta = try JSONValue.decodeStored(KVMetadata.self, from: bytes)
        #expect(meta.casRequired && meta.currentMetadataVersion == 2 && meta.currentVersion == 3)
        #expect(meta.customMetadata == ["team": "ops"] && meta.deleteVersionAfter == 60 && meta.maxVersions == 5)
        #expect(meta.oldestVersion == 1 && meta.createdTime == created && meta.updatedTime == deleted)
        #expect(meta.versions.count == 2)
        #expect(meta.versions[1]?.deletionTime == deleted && meta.versions[1]?.destroyed == false)
        #expect(meta.versions[3]?.deletionTime == nil && meta.versions[3]?.destroyed == true)

        // And what the mapping writes, Foundation's decoder reads as the same record.
        let written = try JSONValue.encodeStored(meta)
        let back = try JSONDecoder().decode(CodableMetadata.self, from: Data(written))
        #expect(back.versions[1]?.deletionTime == deleted && back.versions[3]?.destroyed == true)
        #expect(back.createdTime == created && back.customMetadata == ["team": "ops"])
    }

    @Test func versionPayloadAndConfigRoundTrip() throws {
        let payload = KVVersionData(data: ["user": "app", "n": 1.5, "list": [1, "x", nil]])
        #expect(try JSONValue.decodeStored(KVVersionData.self, from: JSONValue.encodeStored(payload)).data == payload.data)
        let config = KVConfig(maxVersions: 7, casRequired: true, deleteVersionAfter: 30)
        let read = try JSONValue.decodeStored(KVConfig.self, from: JSONValue.encodeStored(config))
        #expect(read.maxVersions == 7 && read.casRequired && read.deleteVersionAfter == 30)
    }

    @Test func corruptRecordsAreInternalErrors() {
        for text in ["[]", #"{"casRequired":true}"#, "not json"] {
            #expect(throws: TresorError.self) { try JSONValue.decodeStored(KVMetadata.self, from: Array(text.utf8)) }
        }
        #expect(throws: TresorError.self) { try JSONValue.decodeStored(KVVersionData.self, from: Array("[1]".utf8)) }
    }
}

import Foundation
import TresorCore

/// Turning on versioning for a KV v1 mount (`kv enable-versioning`): every key becomes a secret
/// with one version. Its writes commit with the tune request's, so it happens whole or not at all.
enum KVUpgrade {
    static func changeOptions(from old: [String: String], to new: [String: String], storage: StorageView) async throws {
        let wasV2 = old["version"] == "2"
        let isV2 = new["version"] == "2"
        if wasV2 == isV2 { return }
        guard isV2 else { throw TresorError.badRequest("cannot downgrade a versioned K/V mount to version 1") }
        let keys = try await storage.listRecursive("")
        var entries: [(String, [UInt8])] = []
        for key in keys {
            if let value = try await storage.get(key) { entries.append((key, value)) }
        }
        for (key, _) in entries { try await storage.delete(key) }
        let now = Date()
        for (key, value) in entries {
            let data = try JSONValue.decodeStored(JSONValue.self, from: value)
            var meta = KVMetadata(now: now)
            meta.currentVersion = 1
            meta.versions[1] = KVMetadata.Version(createdTime: now, deletionTime: nil, destroyed: false)
            try await storage.putJSON(KVv2Backend.versionKey(key, 1), KVVersionData(data: data))
            try await storage.putJSON(KVv2Backend.metadataKey(key), meta)
        }
    }
}

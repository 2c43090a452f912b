import Foundation
import TresorCore

/// A KV v2 secret's metadata: the version history and per-secret settings. One record per
/// secret path; version payloads are stored separately so a read touches only what it needs.
struct KVMetadata: Codable, Sendable {
    struct Version: Codable, Sendable {
        var createdTime: Date
        var deletionTime: Date?
        var destroyed: Bool
    }

    var casRequired = false
    var createdTime: Date
    var currentMetadataVersion: Int64 = 0
    var currentVersion: Int64 = 0
    var customMetadata: [String: String]?
    var deleteVersionAfter: Int64 = 0
    var maxVersions: Int64 = 0
    var oldestVersion: Int64 = 0
    var updatedTime: Date
    var versions: [Int64: Version] = [:]

    init(now: Date) {
        createdTime = now
        updatedTime = now
    }

    func isDeleted(_ version: Version, now: Date) -> Bool {
        if let deletion = version.deletionTime { return deletion <= now }
        return false
    }

    func versionJSON(_ number: Int64, _ version: Version) -> [String: JSONValue] {
        [
            "created_time": .string(GoFormat.time(version.createdTime)),
            "deletion_time": .string(version.deletionTime.map(GoFormat.time) ?? ""),
            "destroyed": .bool(version.destroyed),
            "version": .int(number),
            "custom_metadata": customMetadataJSON,
        ]
    }

    var customMetadataJSON: JSONValue {
        guard let customMetadata, !customMetadata.isEmpty else { return .null }
        return JSONValue(customMetadata)
    }

    var json: [String: JSONValue] {
        var versionsJSON: [String: JSONValue] = [:]
        for (number, version) in versions {
            versionsJSON[String(number)] = [
                "created_time": .string(GoFormat.time(version.createdTime)),
                "deletion_time": .string(version.deletionTime.map(GoFormat.time) ?? ""),
                "destroyed": .bool(version.destroyed),
            ]
        }
        return [
            "cas_required": .bool(casRequired),
            "created_time": .string(GoFormat.time(createdTime)),
            "current_metadata_version": .int(currentMetadataVersion),
            "current_version": .int(currentVersion),
            "custom_metadata": customMetadataJSON,
            "delete_version_after": .string(GoFormat.duration(deleteVersionAfter)),
            "max_versions": .int(maxVersions),
            "metadata_cas_required": false,
            "oldest_version": .int(oldestVersion),
            "updated_time": .string(GoFormat.time(updatedTime)),
            "versions": .object(versionsJSON),
        ]
    }
}

/// A KV v2 mount's settings.
struct KVConfig: Codable, Sendable {
    var maxVersions: Int64 = 0
    var casRequired = false
    var deleteVersionAfter: Int64 = 0

    var json: [String: JSONValue] {
        [
            "max_versions": .int(maxVersions),
            "cas_required": .bool(casRequired),
            "delete_version_after": .string(GoFormat.duration(deleteVersionAfter)),
            "metadata_cas_required": false,
        ]
    }
}

/// One version's payload.
struct KVVersionData: Codable, Sendable {
    var data: JSONValue
}

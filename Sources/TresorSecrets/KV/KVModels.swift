import Foundation
import TresorCore

/// A KV v2 secret's metadata: the version history and per-secret settings. One record per
/// secret path; version payloads are stored separately so a read touches only what it needs.
struct KVMetadata: JSONDocument {
    struct Version: Sendable {
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
struct KVConfig: JSONDocument {
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
struct KVVersionData: JSONDocument {
    var data: JSONValue

    init(data: JSONValue) { self.data = data }
    init(storedJSON: JSONValue) throws { data = try StoredObject(storedJSON, of: Self.self).members["data"] ?? .null }
    var storedJSON: JSONValue { ["data": data] }
}

// The stored forms keep the member names and shapes Foundation's synthesized Codable gave these
// records before they were mapped by hand, so existing storage reads unchanged.

extension KVMetadata {
    init(storedJSON: JSONValue) throws {
        let stored = try StoredObject(storedJSON, of: Self.self)
        casRequired = try stored.bool("casRequired")
        createdTime = try stored.date("createdTime")
        currentMetadataVersion = try stored.int64("currentMetadataVersion")
        currentVersion = try stored.int64("currentVersion")
        customMetadata = try stored.optional("customMetadata") { try $0.stringMap($1) }
        deleteVersionAfter = try stored.int64("deleteVersionAfter")
        maxVersions = try stored.int64("maxVersions")
        oldestVersion = try stored.int64("oldestVersion")
        updatedTime = try stored.date("updatedTime")
        versions = try Self.versions(stored.members["versions"] ?? [])
    }

    var storedJSON: JSONValue {
        var object: [String: JSONValue] = [
            "casRequired": .bool(casRequired),
            "createdTime": createdTime.storedJSON,
            "currentMetadataVersion": .int(currentMetadataVersion),
            "currentVersion": .int(currentVersion),
            "deleteVersionAfter": .int(deleteVersionAfter),
            "maxVersions": .int(maxVersions),
            "oldestVersion": .int(oldestVersion),
            "updatedTime": updatedTime.storedJSON,
        ]
        if let customMetadata { object["customMetadata"] = JSONValue(customMetadata) }
        // Codable writes a dictionary with Int64 keys as an array of alternating keys and values.
        var pairs: [JSONValue] = []
        pairs.reserveCapacity(versions.count * 2)
        for (number, version) in versions.sorted(by: { $0.key < $1.key }) {
            pairs.append(.int(number))
            pairs.append(version.storedJSON)
        }
        object["versions"] = .array(pairs)
        return .object(object)
    }

    private static func versions(_ value: JSONValue) throws -> [Int64: Version] {
        guard case .array(let pairs) = value, pairs.count % 2 == 0 else {
            throw TresorError.internalError("stored KVMetadata is corrupt: bad versions")
        }
        var versions: [Int64: Version] = [:]
        versions.reserveCapacity(pairs.count / 2)
        var index = 0
        while index < pairs.count {
            guard let number = StoredObject.int64(pairs[index]) else {
                throw TresorError.internalError("stored KVMetadata is corrupt: bad version number")
            }
            versions[number] = try Version(storedJSON: pairs[index + 1])
            index += 2
        }
        return versions
    }
}

extension KVMetadata.Version {
    init(storedJSON: JSONValue) throws {
        let stored = try StoredObject(storedJSON, of: Self.self)
        createdTime = try stored.date("createdTime")
        deletionTime = try stored.optional("deletionTime") { try $0.date($1) }
        destroyed = try stored.bool("destroyed")
    }

    var storedJSON: JSONValue {
        var object: [String: JSONValue] = ["createdTime": createdTime.storedJSON, "destroyed": .bool(destroyed)]
        if let deletionTime { object["deletionTime"] = deletionTime.storedJSON }
        return .object(object)
    }
}

extension KVConfig {
    init(storedJSON: JSONValue) throws {
        let stored = try StoredObject(storedJSON, of: Self.self)
        maxVersions = try stored.int64("maxVersions")
        casRequired = try stored.bool("casRequired")
        deleteVersionAfter = try stored.int64("deleteVersionAfter")
    }

    var storedJSON: JSONValue {
        ["maxVersions": .int(maxVersions), "casRequired": .bool(casRequired), "deleteVersionAfter": .int(deleteVersionAfter)]
    }
}

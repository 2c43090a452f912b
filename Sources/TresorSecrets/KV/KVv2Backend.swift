import Crypto
import Foundation
import TresorCore

/// KV version 2: every write is a new version; versions can be soft-deleted, undeleted and
/// destroyed; metadata carries per-secret settings.
///
/// Storage: `config`, `metadata/<path>` (one record per secret) and
/// `versions/<sha256(path)>/<n>` (one payload per version).
struct KVv2Backend: LogicalBackend {
    static let defaultMaxVersions: Int64 = 10
    let paths: [PathSpec]

    init() {
        paths = Self.configPaths() + Self.dataPaths() + Self.versionPaths() + Self.metadataPaths() + Self.subkeysPaths()
            + Self.invalidPaths()
    }

    // MARK: shared helpers

    static func metadataKey(_ path: String) -> String { "metadata/" + path }

    static func versionKey(_ path: String, _ version: Int64) -> String {
        let digest = SHA256.hash(data: Array(path.utf8)).hexString
        return "versions/\(digest)/\(version)"
    }

    static func config(_ storage: Storage) async throws -> KVConfig {
        try await storage.getJSON("config", as: KVConfig.self) ?? KVConfig()
    }

    static func metadata(_ storage: Storage, _ path: String) async throws -> KVMetadata? {
        try await storage.getJSON(metadataKey(path), as: KVMetadata.self)
    }

    /// Removes versions beyond the limit, oldest first, with their payloads.
    static func trim(_ meta: inout KVMetadata, path: String, limit: Int64, storage: Storage) async throws {
        let keep = limit > 0 ? limit : defaultMaxVersions
        let numbers = meta.versions.keys.sorted()
        guard numbers.count > Int(keep) else { return }
        for number in numbers.prefix(numbers.count - Int(keep)) {
            meta.versions.removeValue(forKey: number)
            try await storage.delete(versionKey(path, number))
        }
        meta.oldestVersion = meta.versions.keys.min() ?? 0
    }

    static func effectiveMaxVersions(_ meta: KVMetadata, _ config: KVConfig) -> Int64 {
        if meta.maxVersions > 0 && (config.maxVersions == 0 || meta.maxVersions < config.maxVersions) { return meta.maxVersions }
        return config.maxVersions
    }

    /// Version numbers from `versions`, which clients send as numbers or strings.
    static func versionNumbers(_ fields: FieldData) throws -> [Int64] {
        guard let raw = fields.raw["versions"] else { return [] }
        let items: [JSONValue]
        switch raw {
        case .array(let list): items = list
        case .string(let s): items = s.split(separator: ",").map { .string(String($0)) }
        default: items = [raw]
        }
        return try items.map { item in
            switch item {
            case .int(let i): return i
            case .double(let d) where SafeNumbers.int64(d) != nil: return SafeNumbers.int64(d)!
            case .string(let s):
                guard let i = Int64(s.trimmingCharacters(in: .whitespaces)) else {
                    throw TresorError.badRequest("error converting input for field \"versions\": '' cannot parse value as 'int': strconv.ParseInt: invalid syntax")
                }
                return i
            default:
                throw TresorError.badRequest("error converting input for field \"versions\": expected a list of version numbers")
            }
        }
    }

    /// Accepts custom metadata as strings only (numbers and booleans are stringified as the API does),
    /// within Vault's limits.
    static func customMetadata(_ value: JSONValue?) throws -> [String: String]? {
        guard let value, !value.isNull else { return nil }
        guard case .object(let map) = value else {
            throw TresorError.badRequest("error converting input for field \"custom_metadata\": expected a map")
        }
        guard map.count <= 64 else { throw TresorError.badRequest("custom_metadata can only contain 64 keys") }
        var result: [String: String] = [:]
        for (key, raw) in map {
            if raw.isNull { continue }
            if raw.objectValue != nil || raw.arrayValue != nil {
                throw TresorError.badRequest("custom_metadata values must be strings")
            }
            guard key.utf8.count <= 128 else { throw TresorError.badRequest("custom_metadata keys must be at most 128 bytes") }
            let text = raw.looseString
            guard text.utf8.count <= 512 else { throw TresorError.badRequest("custom_metadata values must be at most 512 bytes") }
            result[key] = text
        }
        return result
    }

    static func requireNonEmptyPath(_ ctx: RequestContext) throws {
        if ctx.capture("path").hasSuffix("/") {
            throw TresorError.badRequest("cannot write to a path ending in '/'")
        }
    }

    /// The body a PATCH request must carry; the HTTP layer has already checked its content type.
    static let notFoundEmpty = LogicalResponse.raw(status: 404, body: nil)
}

/// Mount option handling shared by v1 and v2: `version` is "1" or "2".
enum KVFactory {
    static func normalize(_ options: [String: String]) throws -> [String: String] {
        var options = options
        let version = options["version"] ?? "1"
        switch version {
        case "", "1": options["version"] = options["version"] == nil ? nil : "1"
        case "2": options["version"] = "2"
        default: throw TresorError.badRequest("invalid value for version option: \(version)")
        }
        return options
    }

    static func make(_ entry: MountEntry) -> LogicalBackend {
        entry.options["version"] == "2" ? KVv2Backend() : KVv1Backend(mount: entry)
    }
}

public typealias PathHandler = @Sendable (RequestContext, FieldData) async throws -> LogicalResponse?
public typealias ExistenceCheck = @Sendable (RequestContext, FieldData) async throws -> Bool

/// One path a backend serves: its pattern, typed fields and a handler per operation. Validation,
/// 405 for unknown operations and help all come from this declaration.
public struct PathSpec: Sendable {
    public let pattern: PathPattern
    public let fields: [String: FieldSpec]
    public let handlers: [LogicalOperation: PathHandler]
    /// Decides whether a write creates or updates, which ACLs distinguish. Without one, every
    /// write is an update, as in Vault.
    public let existenceCheck: ExistenceCheck?
    public let synopsis: String
    /// Captures the backend treats case-insensitively (user and role names). The core lower-cases
    /// them in the request path before the ACL check, so policies and storage see one spelling.
    public let lowercasedCaptures: [String]

    public init(_ pattern: String, fields: [FieldSpec] = [], existenceCheck: ExistenceCheck? = nil,
                synopsis: String = "", lowercasing lowercasedCaptures: [String] = [], handlers: [LogicalOperation: PathHandler]) {
        self.lowercasedCaptures = lowercasedCaptures
        self.pattern = PathPattern(pattern)
        self.fields = Dictionary(fields.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.handlers = handlers
        self.existenceCheck = existenceCheck
        self.synopsis = synopsis
    }
}

/// Glob lists in Vault's style: "login" matches exactly, "login/*" or "login*" any path with
/// that prefix, and a "+" segment any one segment ("issuer/+/pem").
public struct PathGlobs: Sendable {
    private let exact: Set<String>
    private let prefixes: [String]
    /// Globs with "+" segments, split into segments; the last may end in "*".
    private let segmented: [[Substring]]

    public init(_ globs: [String]) {
        let plain = globs.filter { !$0.split(separator: "/", omittingEmptySubsequences: false).contains("+") }
        exact = Set(plain.filter { !$0.hasSuffix("*") })
        prefixes = plain.filter { $0.hasSuffix("*") }.map { String($0.dropLast()) }
        segmented = globs.filter { !plain.contains($0) }.map { $0.split(separator: "/", omittingEmptySubsequences: false) }
    }

    public func matches(_ path: String) -> Bool {
        if exact.contains(path), exact.contains(where: { $0.utf8.elementsEqual(path.utf8) }) { return true }
        if prefixes.contains(where: { path.utf8.starts(with: $0.utf8) }) { return true }
        guard !segmented.isEmpty else { return false }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return segmented.contains { Self.matches(parts, $0) }
    }

    private static func matches(_ parts: [Substring], _ glob: [Substring]) -> Bool {
        for (index, segment) in glob.enumerated() {
            let isLast = index == glob.count - 1
            if isLast, segment.hasSuffix("*") {
                // The rest of the path, from this segment on, must start with the prefix.
                guard index < parts.count else { return false }
                let rest = parts[index...].joined(separator: "/")
                return rest.utf8.starts(with: segment.dropLast().utf8)
            }
            guard index < parts.count else { return false }
            if segment != "+" && !segment.utf8.elementsEqual(parts[index].utf8) { return false }
            if segment == "+" && parts[index].isEmpty { return false }
        }
        return parts.count == glob.count
    }
}

public struct SpecialPaths: Sendable {
    /// Served without a token (logins, health).
    public var unauthenticated: PathGlobs
    /// Need the sudo capability on top of the operation's own.
    public var root: PathGlobs
    /// Still served while the server is sealed.
    public var allowedWhenSealed: PathGlobs

    public init(unauthenticated: [String] = [], root: [String] = [], allowedWhenSealed: [String] = []) {
        self.unauthenticated = PathGlobs(unauthenticated)
        self.root = PathGlobs(root)
        self.allowedWhenSealed = PathGlobs(allowedWhenSealed)
    }
}

public enum BackendKind: String, Sendable, Codable {
    case secret, auth
}

/// A secrets engine, auth method or the system backend. Declares its paths; the framework does
/// the rest.
public protocol LogicalBackend: Sendable {
    var paths: [PathSpec] { get }
    var specialPaths: SpecialPaths { get }
    /// Called when the backend is retired (its mount disabled or rebuilt, or the server sealed):
    /// drop caches, close connections.
    func cleanup() async
    /// Called every few seconds with the mount's storage inside a transaction of its own, for
    /// work that is due by the clock (rotating static credentials).
    func periodic(storage: StorageView, mount: MountEntry) async throws
    /// Called when a token is revoked, with the mount's storage inside the revoking transaction:
    /// what the backend kept for that token goes with it.
    func tokenRevoked(_ token: TokenEntry, storage: StorageView) async throws
    /// Undoes an effect outside Tresor that a request recorded with `recordOutsideEffect` and
    /// then did not commit (an error answer, or a crash). Runs in a transaction of its own, with
    /// the mount's storage; it may run after a restart, and more than once if it fails.
    func rollback(_ data: [String: String], storage: StorageView) async throws
}

extension LogicalBackend {
    public var specialPaths: SpecialPaths { SpecialPaths() }
    public func cleanup() async {}
    public func periodic(storage: StorageView, mount: MountEntry) async throws {}
    public func tokenRevoked(_ token: TokenEntry, storage: StorageView) async throws {}
    public func rollback(_ data: [String: String], storage: StorageView) async throws {}

    public func route(_ path: String) -> (PathSpec, [String: String])? {
        for spec in paths {
            if let captures = spec.pattern.match(path) { return (spec, captures) }
        }
        return nil
    }
}

import Foundation
import Logging

/// What an engine or auth method may know of the server beyond its own storage, handed to its
/// factory once per mount. Everything here reads the live state: a tune after mounting shows.
///
/// Engines get nothing else of the core: no `Core`, no request transaction, no storage outside
/// their mount (a `StorageView` rooted at the mount's UUID arrives with each request). The
/// system and token backends, which do need more, live inside `TresorCore`.
public struct SystemView: Sendable {
    /// The mount as it is now (path, accessor, tune settings).
    public var mount: MountEntry { current() ?? initial }
    /// Default and max lease TTLs in force on this mount: its tune over the server's.
    public var ttl: TTLDefaults { serverTTL.effective(for: mount) }
    public let logger: Logger
    /// The time source; tests inject their own.
    public let now: @Sendable () -> Date

    private let initial: MountEntry
    private let current: @Sendable () -> MountEntry?
    private let serverTTL: TTLDefaults

    public init(mount: MountEntry, ttl: TTLDefaults = .vault, logger: Logger = Logger(label: "tresor"),
                now: @escaping @Sendable () -> Date = { Date() }, current: @escaping @Sendable () -> MountEntry? = { nil }) {
        self.initial = mount
        self.serverTTL = ttl
        self.logger = logger
        self.now = now
        self.current = current
    }
}

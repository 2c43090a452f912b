/// ACL capabilities as a bit set, so checks on the hot path are a mask test.
public struct Capabilities: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let deny = Capabilities(rawValue: 1 << 0)
    public static let create = Capabilities(rawValue: 1 << 1)
    public static let read = Capabilities(rawValue: 1 << 2)
    public static let update = Capabilities(rawValue: 1 << 3)
    public static let delete = Capabilities(rawValue: 1 << 4)
    public static let list = Capabilities(rawValue: 1 << 5)
    public static let sudo = Capabilities(rawValue: 1 << 6)
    public static let patch = Capabilities(rawValue: 1 << 7)
    public static let subscribe = Capabilities(rawValue: 1 << 8)

    static let named: [(String, Capabilities)] = [
        ("create", .create), ("delete", .delete), ("deny", .deny), ("list", .list), ("patch", .patch),
        ("read", .read), ("subscribe", .subscribe), ("sudo", .sudo), ("update", .update),
    ]

    public init?(name: String) {
        guard let found = Self.named.first(where: { $0.0 == name }) else { return nil }
        self = found.1
    }

    /// Names in Vault's order of listing (alphabetical), for capabilities endpoints.
    public var names: [String] {
        if contains(.deny) { return ["deny"] }
        return Self.named.filter { contains($0.1) && $0.1 != .deny }.map(\.0)
    }

    public static func required(for operation: LogicalOperation) -> Capabilities {
        switch operation {
        case .read: return .read
        case .create: return .create
        case .update: return .update
        case .patch: return .patch
        case .delete: return .delete
        case .list: return .list
        case .help: return []
        }
    }
}

/// A parsed HCL or JSON value.
///
/// Integers are folded into `number` because JSON has no separate integer type
/// and a policy must mean the same thing in either syntax.
public indirect enum HCLValue: Sendable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case list([HCLValue])
    case object(HCLObject)
    case null
}

/// An HCL object body.
///
/// Entries stay in source order and keys may repeat: blocks such as
/// `path "…" {}` appear many times in one file, and a dictionary would
/// silently keep only one of them.
public struct HCLObject: Sendable, Equatable {
    public var entries: [(key: String, value: HCLValue)]

    public init(entries: [(key: String, value: HCLValue)] = []) {
        self.entries = entries
    }

    /// The last value wins, the way a later attribute overrides an earlier one.
    public subscript(key: String) -> HCLValue? {
        entries.last(where: { $0.key == key })?.value
    }

    /// Every value for `key`, in source order; use this for repeatable blocks.
    public func all(_ key: String) -> [HCLValue] {
        entries.compactMap { $0.key == key ? $0.value : nil }
    }

    // Tuples cannot conform to Equatable, so the comparison is written out.
    public static func == (lhs: HCLObject, rhs: HCLObject) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { left, right in
                left.key == right.key && left.value == right.value
            }
    }
}

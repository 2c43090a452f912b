/// Lists the direct children of a folder from a store whose keys are sorted bytewise, reading
/// the key index a page at a time and jumping over every subfolder in one seek.
///
/// A folder's listing then costs its own children, not everything below it: a folder that holds
/// a million keys in subfolders lists with one read per subfolder, and `limit` stops the scan as
/// soon as the page is full. This is what lets LIST over 100k keys page through `after`/`limit`
/// without reading the whole table each time.
public enum ChildScan {
    /// Keys read per round trip to the store.
    public static let pageSize = 256

    /// Reads up to `count` keys in `[lower, upper)` (or `(lower, upper)` when not `inclusive`),
    /// in bytewise order.
    public typealias Page = @Sendable (_ lower: String, _ inclusive: Bool, _ upper: String, _ count: Int) async throws -> [String]

    /// The children of `prefix` that sort after `after` (a child name as `list` gives it),
    /// at most `limit` of them (nil or less than 1: all).
    public static func children(of prefix: String, after: String? = nil, limit: Int? = nil, page: Page) async throws -> [String] {
        let upper = prefix + "\u{10FFFF}"
        let cap = (limit ?? 0) > 0 ? limit! : Int.max
        var lower = prefix
        var inclusive = true
        if let after, !after.isEmpty {
            (lower, inclusive) = after.hasSuffix("/") ? (prefix + beyondFolder(after), true) : (prefix + after, false)
        }
        var children: [String] = []
        scan: while children.count < cap {
            let keys = try await page(lower, inclusive, upper, pageSize)
            for key in keys {
                lower = key
                inclusive = false
                guard StorageKey.isBelow(key, prefix) else { continue }
                let child = childName(of: key, under: prefix)
                children.append(child)
                if children.count >= cap { break scan }
                if child.hasSuffix("/") {
                    // Everything under the subfolder sorts before its name with "/" raised to "0".
                    lower = prefix + beyondFolder(child)
                    inclusive = true
                    continue scan
                }
            }
            if keys.count < pageSize { break }
        }
        return children
    }

    /// The first key past every key in folder `name` ("x/" → "x0": "0" is the byte after "/").
    static func beyondFolder(_ name: String) -> String {
        // Bytes, not Characters: a "/" can fuse into one Character with a mark before it.
        String(decoding: name.utf8.dropLast(), as: UTF8.self) + "0"
    }

    /// `after` and `limit` over a complete, sorted listing, for stores that cannot seek.
    public static func page(_ children: [String], after: String?, limit: Int?) -> [String] {
        var result = children
        if let after, !after.isEmpty {
            result = result.filter { bytewiseLess(after, $0) }
        }
        if let limit, limit > 0, result.count > limit {
            result = Array(result.prefix(limit))
        }
        return result
    }

    public static func bytewiseLess(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}

import Synchronization
import Testing
@_spi(Server) import TresorCore

@Suite struct ChildScanTests {
    /// A sorted key index, read as the SQL stores read theirs, counting the reads.
    final class Index: Sendable {
        let keys: [String]
        let reads = Atomic<Int>(0)
        init(_ keys: [String]) { self.keys = keys.sorted { ChildScan.bytewiseLess($0, $1) } }

        func page(_ lower: String, _ inclusive: Bool, _ upper: String, _ count: Int) -> [String] {
            reads.add(1, ordering: .relaxed)
            return Array(keys.lazy.filter { key in
                (inclusive ? !ChildScan.bytewiseLess(key, lower) : ChildScan.bytewiseLess(lower, key)) && ChildScan.bytewiseLess(key, upper)
            }.prefix(count))
        }
    }

    /// What a full scan gives: every key under the prefix cut to its child name, deduplicated.
    func naive(_ keys: [String], _ prefix: String) -> [String] {
        var seen = Set<StorageKey>()
        var out: [String] = []
        for key in keys where StorageKey.isBelow(key, prefix) {
            let child = childName(of: key, under: prefix)
            if seen.insert(StorageKey(child)).inserted { out.append(child) }
        }
        return out.sorted { ChildScan.bytewiseLess($0, $1) }
    }

    func scan(_ index: Index, _ prefix: String, after: String? = nil, limit: Int? = nil) async throws -> [String] {
        try await ChildScan.children(of: prefix, after: after, limit: limit) { index.page($0, $1, $2, $3) }
    }

    @Test func matchesAFullScanOnAwkwardNames() async throws {
        let keys = ["a", "a/b", "a/b/c", "a-b", "a.b/c", "a0", "a/", "b/\u{0301}x", "b/\u{0600}/y", "b/\u{0600}z", "b/é", "b/e\u{0301}",
                    "b/KEYS", "b/\u{212A}EYS", "c/\u{10FFFE}", "c/x/", "c//d", "d"]
        let index = Index(keys)
        for prefix in ["", "a/", "b/", "c/", "c//", "zz/"] {
            #expect(try await scan(index, prefix) == naive(keys, prefix), "prefix \(prefix)")
        }
    }

    @Test func pagesJoinIntoTheWholeListing() async throws {
        var keys: [String] = []
        for i in 0..<700 { keys.append("f/leaf\(i)") }
        for i in 0..<30 { for j in 0..<40 { keys.append("f/dir\(i)/\(j)") } }
        keys.append("f/dir3")  // a leaf with a folder's name
        let index = Index(keys)
        let whole = try await scan(index, "f/")
        #expect(whole == naive(keys, "f/"))
        var joined: [String] = []
        var after: String?
        while true {
            let page = try await scan(index, "f/", after: after, limit: 64)
            joined += page
            if page.count < 64 { break }
            after = page.last
        }
        #expect(joined == whole)
    }

    @Test func aFolderCostsOneSeekNotItsContents() async throws {
        var keys: [String] = ["top/a", "top/z"]
        for i in 0..<5000 { keys.append("top/huge/\(i)") }
        let index = Index(keys)
        #expect(try await scan(index, "top/") == ["a", "huge/", "z"])
        #expect(index.reads.load(ordering: .relaxed) <= 3)
    }

    @Test func afterAndLimitFollowOpenBao() async throws {
        let index = Index(["p/a", "p/b", "p/c", "p/d/x", "p/d/y", "p/e", "p/f/z"])
        #expect(try await scan(index, "p/", after: "b", limit: 2) == ["c", "d/"])
        #expect(try await scan(index, "p/", after: "d/", limit: 2) == ["e", "f/"])
        #expect(try await scan(index, "p/", after: "c") == ["d/", "e", "f/"])
        #expect(try await scan(index, "p/", limit: 0) == ["a", "b", "c", "d/", "e", "f/"])
        #expect(try await scan(index, "p/", limit: -1).count == 6)
        #expect(try await scan(index, "p/", after: "zz") == [])
        #expect(ChildScan.page(["a", "b", "c", "d/", "e"], after: "b", limit: 2) == ["c", "d/"])
    }
}

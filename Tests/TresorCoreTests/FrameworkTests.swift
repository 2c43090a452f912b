import Foundation
import Testing
@_spi(Server) @testable import TresorCore

@Suite struct FrameworkTests {
    @Test func pathPatterns() {
        #expect(PathPattern("data/{path+}").match("data/a/b") == ["path": "a/b"])
        #expect(PathPattern("data/{path+}").match("data/") == nil)
        #expect(PathPattern("metadata/{path*}").match("metadata/") == ["path": ""])
        #expect(PathPattern("roles/{name}").match("roles/x/y") == nil)
        #expect(PathPattern("mounts/{path+}/tune").match("mounts/a/b/tune") == ["path": "a/b"])
        #expect(PathPattern("config").match("config2") == nil)
    }

    @Test func trimmingWhitespaceMatchesGoTrimSpace() throws {
        #expect(" \t Root\n".trimmingWhitespace() == "Root")
        #expect("\u{00A0}\u{2003}ops\u{3000}".trimmingWhitespace() == "ops")
        #expect("  a b  ".trimmingWhitespace() == "a b")
        #expect(" \n\t ".trimmingWhitespace() == "" && "".trimmingWhitespace() == "")
        #expect("application/json ; charset=utf-8".split(separator: ";")[0].trimmingWhitespace() == "application/json")
        #expect(PolicyParser.normalize(" Root ") == "root")
        #expect("//a/b//".trimming { $0 == "/" } == "a/b" && "///".trimming { $0 == "/" } == "")
        #expect(try Core.normalizeMountPath("/kv/team/") == "kv/team/")
    }

    @Test func durations() {
        #expect(DurationParser.seconds("1h30m") == 5400)
        #expect(DurationParser.seconds("90") == 90)
        #expect(DurationParser.seconds(.int(5)) == 5)
        #expect(DurationParser.seconds("0s") == 0)
        #expect(DurationParser.seconds("2d") == 172800)
        #expect(DurationParser.seconds("abc") == nil)
        #expect(DurationParser.seconds("1x") == nil)
        #expect(DurationParser.seconds("h") == nil)
        #expect(GoFormat.duration(3600) == "1h0m0s")
        #expect(GoFormat.duration(90) == "1m30s")
        #expect(GoFormat.duration(0) == "0s")
    }

    @Test func fieldConversions() throws {
        let schema = Dictionary(uniqueKeysWithValues: [
            FieldSpec("n", .int), FieldSpec("b", .bool), FieldSpec("d", .duration), FieldSpec("l", .commaStringSlice),
            FieldSpec("m", .keyValuePairs), FieldSpec("s", .string, default: "dflt"),
        ].map { ($0.name, $0) })
        let fields = FieldData(raw: ["n": "7", "b": "true", "d": "1m", "l": "a, b", "m": ["k=v"]], schema: schema)
        try fields.validate()
        #expect(try fields.int("n") == 7)
        #expect(try fields.bool("b"))
        #expect(try fields.duration("d") == 60)
        #expect(try fields.strings("l") == ["a", "b"])
        #expect(try fields.stringMap("m") == ["k": "v"])
        #expect(try fields.string("s") == "dflt")
        #expect(throws: TresorError.self) { try FieldData(raw: ["n": "abc"], schema: schema).validate() }
        #expect(throws: TresorError.self) { try FieldData(raw: ["b": ["x"]], schema: schema).validate() }
        #expect(throws: TresorError.self) { try FieldData(raw: ["m": 5], schema: schema).validate() }
    }

    @Test func hostileJSON() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: TresorError.self) { try JSONReader.parse(Array(deep.utf8)) }
        #expect(throws: TresorError.self) { try JSONReader.parseObject(Array("{\"a\":".utf8)) }
        #expect(throws: TresorError.self) { try JSONReader.parseObject(Array("[1,2]".utf8)) }
        #expect(throws: TresorError.self) { try JSONReader.parseObject([0xff, 0xfe]) }
        #expect(try JSONReader.parseObject(Array(#"{"a":{"b":[1,2.5,true,null,"x"]}}"#.utf8))["a"]?.objectValue?["b"] == [1, 2.5, true, nil, "x"])
    }

    @Test func jsonWriterEscapesLikeGo() {
        let text = String(decoding: JSONWriter.encode(["k": "<a&b>\n\"q\""]), as: UTF8.self)
        #expect(text == #"{"k":"\u003ca\u0026b\u003e\n\"q\""}"#)
    }
}

@Suite struct FormattingTests {
    @Test func goTimesAndHex() {
        #expect(GoFormat.time(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(GoFormat.time(Date(timeIntervalSince1970: 1_795_447_570.5)) == "2026-11-23T15:26:10.5Z")
        #expect(GoFormat.time(Date(timeIntervalSince1970: 1_000_000_000.25)) == "2001-09-09T01:46:40.25Z")
        #expect(GoFormat.time(Date(timeIntervalSince1970: 1_000_000_000.123456789)) == "2001-09-09T01:46:40.123456836Z")
        #expect(GoFormat.time(Date(timeIntervalSince1970: -62_167_219_201)) == "-0001-12-31T23:59:59Z")
        #expect(GoFormat.time(Date(timeIntervalSince1970: 253_402_300_800)) == "10000-01-01T00:00:00Z")
        #expect([0x00, 0x0f, 0xa5, 0xff].hexString == "000fa5ff")
        #expect([UInt8]().hexString == "")
    }
}

@Suite struct RandomUUIDTests {
    @Test func versionFourLowerCaseAndUnique() throws {
        var seen = Set<String>()
        for _ in 0..<1000 {
            let id = RandomUUID.string()
            let groups = id.split(separator: "-", omittingEmptySubsequences: false)
            #expect(groups.map(\.count) == [8, 4, 4, 4, 12])
            #expect(id.allSatisfy { "0123456789abcdef-".contains($0) })
            #expect(groups[2].first == "4")
            #expect("89ab".contains(try #require(groups[3].first)))
            seen.insert(id)
        }
        #expect(seen.count == 1000)
    }
}

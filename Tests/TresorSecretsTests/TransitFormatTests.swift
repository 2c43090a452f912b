import Foundation
import Testing
@_spi(Server) import TresorCore
@testable import TresorSecrets
import Crypto
import TresorKeyWrap

/// The pieces of transit that OpenBao compatibility rests on: big integers as Go writes them,
/// the backup document, and hostile input to both.
@Suite struct TransitFormatTests {
    @Test func bigDecimalRoundTrips() {
        #expect(BigDecimal.decimal(fromBytes: []) == "0")
        #expect(BigDecimal.decimal(fromBytes: [0x01, 0x00]) == "256")
        #expect(BigDecimal.bytes(fromDecimal: "65537") == [0x01, 0x00, 0x01])
        #expect(BigDecimal.bytes(fromDecimal: "0") == [])
        // 2^128 - 1, then a 4096-bit number of random bytes.
        #expect(BigDecimal.decimal(fromBytes: [UInt8](repeating: 0xff, count: 16)) == "340282366920938463463374607431768211455")
        var generator = SystemRandomNumberGenerator()
        for size in [1, 31, 32, 33, 66, 512] {
            var bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            bytes[0] |= 1
            #expect(BigDecimal.bytes(fromDecimal: Substring(BigDecimal.decimal(fromBytes: bytes))) == bytes)
        }
    }

    @Test func bigDecimalRefusesHostileText() {
        #expect(BigDecimal.bytes(fromDecimal: "") == nil)
        #expect(BigDecimal.bytes(fromDecimal: "12a") == nil)
        #expect(BigDecimal.bytes(fromDecimal: "-5") == nil)
        #expect(BigDecimal.bytes(fromDecimal: Substring(String(repeating: "9", count: 100_000))) == nil)
    }

    @Test func goJSONKeepsLongIntegersExact() throws {
        let big = "1234567890123456789012345678901234567890"
        let parsed = try GoJSON.parse(Array(#"{"a":\#(big),"b":12,"c":"x\"9999999999999999999999","d":-3,"e":1.5e3}"#.utf8))
        let object = try #require(parsed.objectValue)
        #expect(GoJSON.bytes(object["a"]).map { BigDecimal.decimal(fromBytes: $0) } == big)
        #expect(object["b"] == .int(12))
        #expect(object["c"] == .string(#"x"9999999999999999999999"#))
        #expect(object["d"] == .int(-3))
        let written = String(decoding: GoJSON.encode(["n": GoJSON.big(BigDecimal.bytes(fromDecimal: Substring(big))!)]), as: UTF8.self)
        #expect(written == #"{"n":\#(big)}"#)
    }

    @Test func everyKeyTypeSurvivesItsBackup() throws {
        for type in TransitKeyType.allCases {
            var policy = try TransitPolicy.create(name: "k", type: type, derived: false, convergent: false,
                                                  keySize: type == .hmac ? 32 : 0, now: Date())
            try policy.rotate(now: Date())
            policy.exportable = true
            let restored = try TransitPolicy(backup: policy.backup)
            #expect(restored == policy, "\(type.name)")
            let stored = try JSONValue.decodeStored(TransitPolicy.self, from: try JSONValue.encodeStored(policy))
            #expect(stored == policy, "\(type.name) stored form")
        }
    }

    @Test func hostileBackupsAreRefusedNotCrashing() {
        let cases = ["", "!!!", Data("{}".utf8).base64EncodedString(), Data("[1,2]".utf8).base64EncodedString(),
                     Data(#"{"policy":{"name":"x","type":99,"keys":{}}}"#.utf8).base64EncodedString(),
                     Data(#"{"policy":{"name":"x","type":0,"latest_version":5,"keys":{"1":{"key":"AAAA"}}}}"#.utf8).base64EncodedString(),
                     Data(#"{"policy":{"name":"x","type":1,"keys":{"1":{"ec_x":"zz"}}}}"#.utf8).base64EncodedString(),
                     Data(#"{"policy":{"name":"x","type":3,"keys":{"1":{"rsa_key":{"N":5}}}}}"#.utf8).base64EncodedString()]
        for text in cases {
            #expect(throws: TresorError.self, "\(text)") { try TransitPolicy(backup: text) }
        }
    }

    @Test func ciphertextPrefixesAreParsedStrictly() throws {
        #expect(try TransitData.parseVersioned("vault:v12:abc", what: "ciphertext") == (12, "abc"))
        for bad in ["", "vault:", "vault:v", "vault:vx:abc", "vault:v1", "v1:abc"] {
            #expect(throws: TresorError.self, "\(bad)") { try TransitData.parseVersioned(bad, what: "ciphertext") }
        }
    }
}

/// RFC 5649's own examples, and what a damaged envelope does.
@Suite struct KeyWrapPaddedTests {
    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    let kek = SymmetricKey(data: hex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8"))

    @Test func rfc5649Vectors() throws {
        let twenty = Self.hex("c37b7e6492584340bed12207808941155068f738")
        let wrapped = try KeyWrapPadded.wrap(twenty, kek: kek)
        #expect(wrapped == Self.hex("138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a"))
        #expect(try KeyWrapPadded.unwrap(wrapped, kek: kek) == twenty)
        let seven = Self.hex("466f7250617369")
        let short = try KeyWrapPadded.wrap(seven, kek: kek)
        #expect(short == Self.hex("afbeb0f07dfbf5419200f2ccb50bb24f"))
        #expect(try KeyWrapPadded.unwrap(short, kek: kek) == seven)
    }

    @Test func damagedWrapsAreRefused() throws {
        let wrapped = try KeyWrapPadded.wrap([UInt8](repeating: 7, count: 32), kek: kek)
        for index in [0, 7, 8, wrapped.count - 1] {
            var bad = wrapped
            bad[index] ^= 1
            #expect(throws: KeyWrapPadded.Failure.self) { try KeyWrapPadded.unwrap(bad, kek: kek) }
        }
        #expect(throws: KeyWrapPadded.Failure.self) { try KeyWrapPadded.unwrap(Array(wrapped.dropLast(8)), kek: kek) }
        #expect(throws: KeyWrapPadded.Failure.self) { try KeyWrapPadded.unwrap([1, 2, 3], kek: kek) }
        #expect(throws: KeyWrapPadded.Failure.self) { try KeyWrapPadded.unwrap(wrapped, kek: SymmetricKey(size: .bits192)) }
        #expect(throws: KeyWrapPadded.Failure.self) { try KeyWrapPadded.wrap([], kek: kek) }
    }
}

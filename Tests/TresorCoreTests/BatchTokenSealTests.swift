import Crypto
import Foundation
import Testing
@_spi(Server) @testable import TresorCore

@Suite struct BatchTokenSealTests {
    static func entry() -> TokenEntry {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        return TokenEntry(id: "", accessor: "", parent: "parent-hash", policies: ["default", "reader"], meta: ["team": "blue"],
                          displayName: "token", path: "auth/token/create", numUses: 0, creationTime: now, creationTTL: 60,
                          explicitMaxTTL: 0, period: 0, renewable: false, expireTime: now.addingTimeInterval(60), issueTime: now,
                          lastRenewalTime: nil, cubbyholeID: "", type: "batch", authMountAccessor: nil, loginData: nil, boundCIDRs: nil)
    }

    @Test func opensWhatItSealed() throws {
        let seal = BatchTokenSeal(salt: SymmetricKey(size: .bits256))
        let token = try seal.seal(Self.entry())
        #expect(token.hasPrefix("hvb."))
        let opened = try #require(seal.open(token))
        #expect(opened.policies == ["default", "reader"] && opened.parent == "parent-hash" && opened.meta == ["team": "blue"])
        #expect(opened.type == "batch" && opened.expireTime == Self.entry().expireTime)
    }

    /// Anything but an untouched token of this server's salt is nobody, and never a crash.
    @Test func refusesHostileTokens() throws {
        let seal = BatchTokenSeal(salt: SymmetricKey(size: .bits256))
        let token = try seal.seal(Self.entry())
        var flipped = Array(token.utf8)
        flipped[flipped.count / 2] = flipped[flipped.count / 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let hostile = [
            "", "hvb.", "hvb.!!!!", "hvb." + String(repeating: "A", count: 100_000), String(token.dropLast(2)),
            String(decoding: flipped, as: UTF8.self), token.replacingOccurrences(of: "hvb.", with: "hvs."),
            "hvb." + Data(repeating: 0, count: 40).base64EncodedString(),
        ]
        for candidate in hostile { #expect(seal.open(candidate) == nil) }
        // Another server's salt (another cluster) cannot open it.
        #expect(BatchTokenSeal(salt: SymmetricKey(size: .bits256)).open(token) == nil)
    }

    /// A sealed service entry is not a batch token, even under the right key.
    @Test func onlyBatchEntriesOpen() throws {
        let seal = BatchTokenSeal(salt: SymmetricKey(size: .bits256))
        var service = Self.entry()
        service.type = "service"
        #expect(seal.open(try seal.seal(service)) == nil)
    }
}

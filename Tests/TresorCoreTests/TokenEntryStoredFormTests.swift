import Foundation
import Testing
@_spi(Server) @testable import TresorCore

/// TokenEntry is mapped to JSON by hand; it must read what synthesized Codable wrote before.
@Suite struct TokenEntryStoredFormTests {
    /// The member names and shapes synthesized Codable gave TokenEntry.
    private struct CodableTokenEntry: Codable {
        var id, accessor: String
        var parent: String?
        var policies: [String]
        var meta: [String: String]
        var displayName, path: String
        var numUses: Int64
        var creationTime: Date
        var creationTTL, explicitMaxTTL, period: Int64
        var renewable: Bool
        var expireTime: Date?
        var issueTime: Date
        var lastRenewalTime: Date?
        var cubbyholeID, type: String
        var authMountAccessor: String?
        var loginData: [String: String]?
        var boundCIDRs: [String]?
    }

    @Test func readsLegacyRecordsAndWritesWhatFoundationReads() throws {
        let issued = Date(timeIntervalSinceReferenceDate: 817_000_000.25)
        let legacy = CodableTokenEntry(
            id: "h1", accessor: "acc", parent: "p", policies: ["default", "ops"], meta: ["user": "ana"], displayName: "token-ana",
            path: "auth/token/create", numUses: 3, creationTime: issued, creationTTL: 3600, explicitMaxTTL: 7200, period: 0,
            renewable: true, expireTime: issued.addingTimeInterval(3600), issueTime: issued, lastRenewalTime: nil,
            cubbyholeID: "cub", type: "service", authMountAccessor: "auth_userpass_1", loginData: ["username": "ana"],
            boundCIDRs: ["10.0.0.0/8"])
        let entry = try JSONValue.decodeStored(TokenEntry.self, from: Array(JSONEncoder().encode(legacy)))
        #expect(entry.id == "h1" && entry.parent == "p" && entry.policies == ["default", "ops"] && entry.meta == ["user": "ana"])
        #expect(entry.numUses == 3 && entry.creationTTL == 3600 && entry.explicitMaxTTL == 7200 && entry.renewable)
        #expect(entry.expireTime == issued.addingTimeInterval(3600) && entry.issueTime == issued && entry.lastRenewalTime == nil)
        #expect(entry.authMountAccessor == "auth_userpass_1" && entry.loginData == ["username": "ana"] && entry.boundCIDRs == ["10.0.0.0/8"])

        let back = try JSONDecoder().decode(CodableTokenEntry.self, from: Data(JSONValue.encodeStored(entry)))
        #expect(back.creationTime == issued && back.expireTime == issued.addingTimeInterval(3600) && back.parent == "p")
        #expect(back.loginData == ["username": "ana"] && back.lastRenewalTime == nil && back.type == "service")
    }

    @Test func missingMembersAreInternalErrors() {
        #expect(throws: TresorError.self) { try JSONValue.decodeStored(TokenEntry.self, from: Array(#"{"id":"x"}"#.utf8)) }
    }
}

import Crypto
import Foundation
import Testing
@_spi(Server) @testable import TresorCore

/// Leases and the keyring are mapped to JSON by hand (hot or defaulted records); mount tables,
/// seal configuration and policies derive Codable. Each must read what synthesized Codable wrote
/// before, and write what it reads.
@Suite struct CoreStoredFormTests {
    private struct CodableMountConfig: Codable, Equatable {
        var defaultLeaseTTL, maxLeaseTTL: Int64
        var forceNoCache: Bool
        var listingVisibility: String
        var auditNonHMACRequestKeys, auditNonHMACResponseKeys, passthroughRequestHeaders, allowedResponseHeaders: [String]
        var tokenType: String
    }

    private struct CodableMountEntry: Codable, Equatable {
        var path, type, description, uuid, accessor: String
        var config: CodableMountConfig
        var options: [String: String]
        var local, sealWrap, externalEntropyAccess: Bool
        var kind: String
    }

    private struct CodableLease: Codable {
        var leaseID, path, mountAccessor, secretType: String
        var internalData: [String: String]
        var tokenHash: String?
        var issueTime, expireTime, maxExpireTime: Date
        var lastRenewalTime: Date?
        var renewable: Bool
        var ttl: Int64
        var revokeAttempts: Int
        var lastRevokeError: String?
        var irrevocable: Bool
    }

    private static func roundTrip<Legacy: Codable, Document: Codable & Sendable>(_ legacy: Legacy, as document: Document.Type) throws -> (Document, Legacy) {
        let read = try JSONValue.decodeStored(Document.self, from: Array(JSONEncoder().encode(legacy)))
        let back = try JSONDecoder().decode(Legacy.self, from: Data(JSONValue.encodeStored(read)))
        return (read, back)
    }

    @Test func mountTables() throws {
        let config = CodableMountConfig(
            defaultLeaseTTL: 3600, maxLeaseTTL: 86400, forceNoCache: true, listingVisibility: "unauth",
            auditNonHMACRequestKeys: ["a"], auditNonHMACResponseKeys: ["b", "c"], passthroughRequestHeaders: ["X-Req"],
            allowedResponseHeaders: [], tokenType: "default-service")
        let legacy = [
            CodableMountEntry(path: "secret/", type: "kv", description: "kv v2", uuid: "u-1", accessor: "kv_1234", config: config,
                              options: ["version": "2"], local: false, sealWrap: true, externalEntropyAccess: false, kind: "secret"),
            CodableMountEntry(path: "userpass/", type: "userpass", description: "", uuid: "u-2", accessor: "auth_userpass_9", config: config,
                              options: [:], local: true, sealWrap: false, externalEntropyAccess: true, kind: "auth"),
        ]
        let (table, back) = try Self.roundTrip(legacy, as: [MountEntry].self)
        #expect(back == legacy)
        #expect(table.map(\.kind) == [.secret, .auth] && table[0].config.maxLeaseTTL == 86400 && table[1].local)
        #expect(table[0].options == ["version": "2"] && table[0].config.auditNonHMACResponseKeys == ["b", "c"])
    }

    @Test func sealConfigPolicyAndKeyring() throws {
        let seal = try JSONValue.decodeStored(SealConfig.self, from: Array(#"{"type":"shamir","secretShares":5,"secretThreshold":3}"#.utf8))
        #expect(seal == SealConfig(secretShares: 5, secretThreshold: 3))
        #expect(try JSONValue.decodeStored(SealConfig.self, from: JSONValue.encodeStored(seal)) == seal)

        let modified = Date(timeIntervalSinceReferenceDate: 817_000_000.5)
        let policy = try JSONValue.decodeStored(
            StoredPolicy.self, from: Array(#"{"name":"ops","text":"path \"x\" {}","version":4,"modified":817000000.5}"#.utf8))
        #expect(policy.name == "ops" && policy.text == "path \"x\" {}" && policy.version == 4 && policy.modified == modified)

        let keyring = Keyring(firstKey: SymmetricKey(size: .bits256), now: modified).rotated(now: modified.addingTimeInterval(60))
        let reopened = try Keyring(serialized: keyring.serialized())
        #expect(reopened.activeTerm == 2 && reopened.terms.count == 2)
        #expect(reopened.terms[1]?.installTime == modified && reopened.terms[2]?.installTime == modified.addingTimeInterval(60))
        #expect(reopened.active.key == keyring.active.key && reopened.terms[1]?.key == keyring.terms[1]?.key)
    }

    @Test func leases() throws {
        let issued = Date(timeIntervalSinceReferenceDate: 817_000_000.25)
        let legacy = CodableLease(
            leaseID: "database/creds/app/abc", path: "database/creds/app", mountAccessor: "database_1", secretType: "creds",
            internalData: ["username": "v-app"], tokenHash: "h", issueTime: issued, expireTime: issued.addingTimeInterval(3600),
            maxExpireTime: issued.addingTimeInterval(86400), lastRenewalTime: nil, renewable: true, ttl: 3600,
            revokeAttempts: 2, lastRevokeError: "connection refused", irrevocable: false)
        let (lease, back) = try Self.roundTrip(legacy, as: LeaseEntry.self)
        #expect(lease.leaseID == legacy.leaseID && lease.internalData == ["username": "v-app"] && lease.tokenHash == "h")
        #expect(lease.expireTime == issued.addingTimeInterval(3600) && lease.lastRenewalTime == nil && lease.revokeAttempts == 2)
        #expect(back.maxExpireTime == legacy.maxExpireTime && back.lastRevokeError == "connection refused" && back.tokenHash == "h")
    }

    @Test func corruptRecordsAreInternalErrors() {
        let corrupt: [(String, [UInt8]) throws -> Void] = [
            { _ = try JSONValue.decodeStored(SealConfig.self, from: Array($0.utf8) + $1) },
            { _ = try JSONValue.decodeStored([MountEntry].self, from: Array($0.utf8) + $1) },
            { _ = try JSONValue.decodeStored(LeaseEntry.self, from: Array($0.utf8) + $1) },
        ]
        for (decode, json) in [(corrupt[0], #"{"type":"shamir","secretShares":"5","secretThreshold":3}"#),
                               (corrupt[1], #"{"path":"x"}"#), (corrupt[1], #"[{"path":"x"}]"#), (corrupt[2], #"{"leaseID":1}"#)] {
            #expect(throws: TresorError.self) { try decode(json, []) }
        }
        // A term that does not fit its type is corruption too, not a trap.
        #expect(throws: TresorError.self) {
            try Keyring(serialized: Array(#"{"active_term":4294967296,"keys":[]}"#.utf8))
        }
    }
}

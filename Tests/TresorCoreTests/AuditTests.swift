import Foundation
import Testing
@_spi(Server) @testable import TresorCore

@Suite struct AuditTests {
    func chain(_ count: Int) -> [String] {
        var lines: [String] = []
        var previous = "start"
        for i in 0..<count {
            let line = #"{"n":\#(i),"prev_hash":"\#(previous)"}"#
            lines.append(line)
            previous = AuditChain.hash(Array(line.utf8))
        }
        return lines
    }

    func verify(_ lines: [String]) -> AuditChain.Report {
        AuditChain.verify(Array((lines.joined(separator: "\n") + "\n").utf8))
    }

    @Test func intactChainVerifies() {
        let report = verify(chain(5))
        #expect(report.brokenAt == nil && report.lines == 5 && report.startsAfter == "start")
    }

    @Test func editsRemovalsAndInsertionsAreNamed() {
        var edited = chain(5)
        edited[1] = edited[1].replacingOccurrences(of: #""n":1"#, with: #""n":9"#)
        #expect(verify(edited).brokenAt == 3)
        var removed = chain(5)
        removed.remove(at: 2)
        #expect(verify(removed).brokenAt == 3)
        var inserted = chain(5)
        inserted.insert(#"{"n":99,"prev_hash":"\#(AuditChain.hash(Array(inserted[1].utf8)))"}"#, at: 2)
        #expect(verify(inserted).brokenAt == 4)
        #expect(verify(["not json"]).brokenAt == 1)
    }

    @Test func hasherHashesEveryStringButListedKeys() {
        let hasher = AuditHasher(salt: Array(repeating: 7, count: 32))
        let hashed = hasher.hashStrings(["a": "secret", "n": 5, "nested": ["b": "x"], "keep": "plain"], except: ["keep"])
        #expect(hashed.objectValue?["a"] == .string(hasher.hash("secret")))
        #expect(hashed.objectValue?["n"] == 5)
        #expect(hashed.objectValue?["nested"]?.objectValue?["b"] == .string(hasher.hash("x")))
        #expect(hashed.objectValue?["keep"] == "plain")
        #expect(hasher.hash("secret") != AuditHasher(salt: Array(repeating: 8, count: 32)).hash("secret"))
    }

    @Test func aFailingDeviceRefusesTheRequestAndStoresNothing() async throws {
        let (core, root) = try await TestCore.make()
        core.audit.install(AuditBroker.Active(config: AuditDeviceConfig(path: "broken/", type: "file"),
                                              device: BrokenAuditDevice(reason: "disk gone"), salt: [1, 2, 3]))
        await #expect(throws: Core.auditFailure) {
            _ = try await TestCore.request(core, .update, "sys/policies/acl/p", token: root, data: ["policy": #"path "x" { capabilities = ["read"] }"#])
        }
        _ = core.audit.remove("broken/")
        let read = try await TestCore.request(core, .read, "sys/policies/acl/p", token: root)
        #expect(read.response == nil)
    }
}

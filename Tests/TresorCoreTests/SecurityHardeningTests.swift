import Crypto
import Foundation
import Synchronization
import Testing
@_spi(Server) @testable import TresorCore

/// Each test plays one way past a policy that a review found, and shows it no longer gets
/// through. The interop suite (`test_security_hardening.py`) plays the same over HTTP.
@Suite struct SecurityHardeningTests {
    static let denied = TresorError.permissionDenied

    // MARK: 1. auth methods cannot mint root

    @Test(arguments: [["root"], ["Root"], [" root"], ["default", "root"], ["ROOT "]])
    func authMethodsCannotMintRootTokens(_ policies: [String]) async throws {
        let (core, _) = try await TestCore.makeWithMounts()
        await #expect(throws: TresorError.badRequest("auth methods cannot create root tokens")) {
            _ = try await TestCore.request(core, .update, "auth/granting/login", token: "", data: ["policies": JSONValue(policies)])
        }
    }

    @Test func loginTokensAreNotChildrenOfRoot() async throws {
        let (core, _) = try await TestCore.makeWithMounts()
        // A login may still carry an operator-set period, and gets `default`.
        let login = try await TestCore.request(core, .update, "auth/granting/login", token: "", data: ["policies": ["dev"], "period": 600])
        let auth = try #require(login.response?.auth)
        #expect(auth.policies == ["default", "dev"])
        let entry = try #require(try await core.tokens.lookup(token: auth.clientToken, storage: core.direct))
        #expect(entry.period == 600 && entry.parent == nil)
        // The store refuses a root login even if a method forgot to ask the core.
        var params = TokenParams()
        params.login = LoginGrant(policies: ["root"], displayName: "x")
        params.policies = ["root"]
        await #expect(throws: TresorError.badRequest("auth methods cannot create root tokens")) {
            _ = try await core.tokens.create(params, parent: nil, storage: core.direct)
        }
    }

    // MARK: 2. allowed and denied parameters see what the handler sees

    static let creator = """
    path "auth/token/create" {
      capabilities = ["create", "update"]
      denied_parameters = { "policies" = ["admin"] }
    }
    """

    @Test(arguments: [JSONValue(["dev", "admin"]), "dev,admin", "Admin", " ADMIN", JSONValue(["dev", "Admin"])])
    func deniedParametersHoldForListsCommaStringsAndCase(_ asked: JSONValue) async throws {
        let (core, root) = try await TestCore.makeWithMounts()
        let token = try await TestCore.token(core, root: root, policies: ["creator": Self.creator, "admin": "", "dev": ""])
        await #expect(throws: Self.denied) {
            _ = try await TestCore.request(core, .update, "auth/token/create", token: token, data: ["policies": asked])
        }
        let allowed = try await TestCore.request(core, .update, "auth/token/create", token: token, data: ["policies": "dev"])
        #expect(allowed.response?.auth?.policies == ["default", "dev"])
    }

    @Test func allowedParametersNeedEveryElementAllowed() async throws {
        let (core, root) = try await TestCore.makeWithMounts()
        let policy = """
        path "auth/token/create" {
          capabilities = ["update"]
          allowed_parameters = { "policies" = ["dev"] }
        }
        """
        let token = try await TestCore.token(core, root: root, policies: ["creator": policy, "admin": "", "dev": ""])
        for asked: JSONValue in [["dev", "admin"], "dev,admin"] {
            await #expect(throws: Self.denied) {
                _ = try await TestCore.request(core, .update, "auth/token/create", token: token, data: ["policies": asked])
            }
        }
        _ = try await TestCore.request(core, .update, "auth/token/create", token: token, data: ["policies": ["DEV"]])
    }

    @Test func valuesOtherThanListsAreJudgedAsSent() async throws {
        let (core, root) = try await TestCore.makeWithMounts()
        let policy = """
        path "auth/token/create" {
          capabilities = ["update"]
          allowed_parameters = { "ttl" = ["1h"], "policies" = ["default"] }
        }
        """
        let token = try await TestCore.token(core, root: root, policies: ["short": policy])
        let created = try await TestCore.request(core, .update, "auth/token/create", token: token, data: ["ttl": "1h", "policies": "default"])
        #expect(created.response?.auth?.leaseDuration == 3600)
        await #expect(throws: Self.denied) {
            _ = try await TestCore.request(core, .update, "auth/token/create", token: token, data: ["ttl": "2h", "policies": "default"])
        }
    }

    @Test func readParametersAreChecked() async throws {
        let (core, root) = try await TestCore.makeWithMounts()
        let policy = """
        path "probe/has/*" {
          capabilities = ["read"]
          denied_parameters = { "version" = ["1"] }
        }
        """
        let token = try await TestCore.token(core, root: root, policies: ["reader": policy])
        await #expect(throws: Self.denied) {
            _ = try await TestCore.request(core, .read, "probe/has/k", token: token, data: ["version": "1"])
        }
        _ = try await TestCore.request(core, .read, "probe/has/k", token: token, data: ["version": "2"])
    }

    // MARK: 3. use-limited tokens

    @Test func useLimitedTokensCannotCreateChildren() async throws {
        let (core, root) = try await TestCore.make()
        let limited = try await TestCore.request(core, .update, "auth/token/create", token: root, data: ["num_uses": 5])
        let token = try #require(limited.response?.auth?.clientToken)
        for path in ["auth/token/create", "auth/token/create-orphan"] {
            await #expect(throws: TresorError.badRequest("restricted use token cannot generate child tokens")) {
                _ = try await TestCore.request(core, .update, path, token: token)
            }
        }
    }

    // MARK: 4. bodies of refused requests are never parsed

    @Test func bodiesOfRefusedRequestsAreNotParsed() async throws {
        let (core, root) = try await TestCore.makeWithMounts()
        let parsed = Atomic<Int>(0)
        func request(token: String) -> LogicalRequest {
            var request = LogicalRequest(operation: .update, path: "probe/write-two", clientToken: token, isWrite: true)
            request.pendingBody = { () throws(TresorError) in
                parsed.add(1, ordering: .relaxed)
                return [:]
            }
            return request
        }
        await #expect(throws: TresorError.invalidToken) { _ = try await core.handle(request(token: "")) }
        await #expect(throws: TresorError.invalidToken) { _ = try await core.handle(request(token: "not-a-token")) }
        #expect(parsed.load(ordering: .relaxed) == 0)
        _ = try await core.handle(request(token: root))
        #expect(parsed.load(ordering: .relaxed) == 1)
        core.seal()
        await #expect(throws: TresorError.sealed) { _ = try await core.handle(request(token: root)) }
        #expect(parsed.load(ordering: .relaxed) == 1)
    }

    // MARK: 7. tokens in URL paths

    @Test func tokensInPathsAreNotServedAndNotLoggedInClear() async throws {
        let (core, root) = try await TestCore.make()
        let device = MemoryAuditDevice()
        core.audit.install(AuditBroker.Active(config: AuditDeviceConfig(path: "memory/", type: "file"), device: device, salt: [9, 9, 9]))
        await #expect(throws: TresorError.unsupportedPath) {
            _ = try await TestCore.request(core, .read, "auth/token/lookup/\(root)", token: root)
        }
        let logged = device.lines
        #expect(logged.count == 2)
        #expect(!logged.contains { $0.contains(root) })
        #expect(logged.allSatisfy { $0.contains("auth/token/hmac-sha256:") })
    }

    /// CVE-2025-62513: a raw response body never reaches the audit log in clear.
    @Test func rawResponseBodiesAreNotLoggedInClear() async throws {
        let (core, root) = try await TestCore.makeWithMounts()
        let device = MemoryAuditDevice()
        core.audit.install(AuditBroker.Active(config: AuditDeviceConfig(path: "memory/", type: "file"), device: device, salt: [7, 7, 7]))
        for kind in ["text", "object"] {
            _ = try await TestCore.request(core, .read, "probe/raw/\(kind)", token: root)
        }
        let logged = device.lines.joined(separator: "\n")
        #expect(device.lines.count == 4)
        #expect(!logged.contains("raw-secret") && !logged.contains("http_raw_body"))
        #expect(logged.contains("\"private_key\":\"hmac-sha256:"))
    }

    // MARK: 8. LIST against a deny written without the trailing slash

    @Test(arguments: ["secret/metadata/private", "secret/metadata/private/*"])
    func listHonoursADenyOnTheFolder(_ deniedPattern: String) throws {
        let policy = try PolicyParser.parse(name: "p", text: """
        path "secret/metadata/*" { capabilities = ["list", "read"] }
        path "\(deniedPattern)" { capabilities = ["deny"] }
        """)
        let acl = ACL(policies: [policy])
        #expect(!acl.allows(.list, path: "secret/metadata/private/", data: [:], needsSudo: false))
        #expect(acl.allows(.list, path: "secret/metadata/public/", data: [:], needsSudo: false))
        #expect(acl.allows(.list, path: "secret/metadata/", data: [:], needsSudo: false))
    }

    @Test func listMatchesAFolderRuleWithoutTheSlash() throws {
        let policy = try PolicyParser.parse(name: "p", text: #"path "secret/metadata/team" { capabilities = ["list"] }"#)
        #expect(ACL(policies: [policy]).allows(.list, path: "secret/metadata/team/", data: [:], needsSudo: false))
    }

    // MARK: 9. canonical equivalence and case

    @Test func canonicallyEquivalentKeysAreDifferentKeysInEveryLayer() async throws {
        let (core, root) = try await TestCore.makeWithMounts()
        _ = try await TestCore.request(core, .update, "probe/put/KEYS", token: root)
        // Warm the value cache with the real key, then ask for its Kelvin-sign twin.
        let real = try await TestCore.request(core, .read, "probe/has/KEYS", token: root)
        #expect(real.response?.data?["present"] == true)
        let twin = try await TestCore.request(core, .read, "probe/has/\u{212A}EYS", token: root)
        #expect(twin.response?.data?["present"] == false)

        let memory = InMemoryBackend()
        try await memory.put("a/caf\u{E9}", [1])
        #expect(try await memory.get("a/cafe\u{301}") == nil)
        try await memory.put("a/cafe\u{301}", [2])
        #expect(try await memory.list(prefix: "a/").count == 2)
        #expect(StorageKey("\u{212A}") != StorageKey("K"))
        #expect(childName(of: "a/\u{301}x/y", under: "a/") == "\u{301}x/")
    }

    @Test func caseInsensitiveNamesAreLowerCasedBeforeTheACL() async throws {
        let (core, root) = try await TestCore.makeWithMounts()
        let policy = """
        path "probe/users/*" { capabilities = ["create", "update"] }
        path "probe/users/admin" { capabilities = ["deny"] }
        """
        let token = try await TestCore.token(core, root: root, policies: ["users": policy])
        for name in ["ADMIN", "Admin", "admin"] {
            await #expect(throws: Self.denied) {
                _ = try await TestCore.request(core, .update, "probe/users/\(name)", token: token)
            }
        }
        let other = try await TestCore.request(core, .update, "probe/users/Bob", token: token)
        #expect(other.response?.data?["stored"] == "bob")
    }

    @Test func policyNamesCompareInComposedForm() async throws {
        #expect(PolicyParser.normalize("Cafe\u{301}") == "caf\u{E9}")
        let (core, root) = try await TestCore.make()
        // Written under one spelling, the policy is the same policy under the other: a child
        // cannot name a "different" policy that its parent only seems to hold.
        let parent = try await TestCore.token(core, root: root, policies: ["cafe\u{301}": Self.creator.replacingOccurrences(of: "denied_parameters = { \"policies\" = [\"admin\"] }", with: "")])
        let child = try await TestCore.request(core, .update, "auth/token/create", token: parent, data: ["policies": "caf\u{E9}"])
        let policies = try #require(child.response?.auth?.policies)
        #expect(policies.map { Array($0.utf8) } == [Array("caf\u{E9}".utf8), Array("default".utf8)])
        let stored = try await core.policies.get("caf\u{E9}", storage: core.direct)
        #expect(stored?.rules.first?.pattern == "auth/token/create")
    }
}

/// An audit device that keeps its lines in memory.
final class MemoryAuditDevice: AuditDevice {
    private let stored = Mutex<[String]>([])

    var lines: [String] { stored.withLock { $0 } }

    func write(_ batch: [[UInt8]]) async throws {
        stored.withLock { $0 += batch.map { String(decoding: $0, as: UTF8.self) } }
    }
}

/// 12. The barrier leaves a term before AES-GCM's random-nonce bound, and the tally survives a restart.
@Suite struct BarrierRotationBoundTests {
    @Test func theKeyringRotatesOnceATermReachesItsBound() async throws {
        let physical = InMemoryBackend()
        let rootKey = SymmetricKey(size: .bits256)
        let barrier = Barrier(physical: physical, maxEncryptionsPerTerm: 10, accountingInterval: 1_000_000)
        try await barrier.initialize(rootKey: rootKey)
        for index in 0..<9 { try await barrier.put("logical/\(index)", [1]) }
        #expect(try await barrier.accountEncryptions() == false)
        #expect(barrier.currentKeyring?.activeTerm == 1)
        try await barrier.put("logical/9", [1])
        #expect(try await barrier.accountEncryptions() == true)
        #expect(barrier.currentKeyring?.activeTerm == 2)
        #expect(barrier.encryptionCount == 0)
        // Old values still open; new ones are written under the new term.
        #expect(try await barrier.get("logical/0") == [1])
        try await barrier.put("logical/new", [2])
        let blob = try #require(physical.allValues()["logical/new"])
        #expect(Array(blob.prefix(4)) == [0, 0, 0, 2])
    }

    @Test func theCountSurvivesARestart() async throws {
        let physical = InMemoryBackend()
        let rootKey = SymmetricKey(size: .bits256)
        let first = Barrier(physical: physical, maxEncryptionsPerTerm: 10, accountingInterval: 2)
        try await first.initialize(rootKey: rootKey)
        for index in 0..<8 { try await first.put("logical/\(index)", [1]) }
        try await first.accountEncryptions()
        first.seal()
        // A new process: the stored count is where the old one left off.
        let second = Barrier(physical: physical, maxEncryptionsPerTerm: 10, accountingInterval: 2)
        try await second.unseal(rootKey: rootKey)
        #expect(second.encryptionCount == 8)
        for index in 0..<2 { try await second.put("logical/again\(index)", [1]) }
        try await second.accountEncryptions()
        #expect(second.currentKeyring?.activeTerm == 2)
    }

    @Test func keyBytesAreWipedInPlace() {
        var key: [UInt8] = Array(1...32)
        let address = key.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        key.wipe()
        // The same storage, not a copy, now holds zeros.
        #expect(key.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } == address)
        #expect(key.count == 32 && key.allSatisfy { $0 == 0 })
        key.zeroize()
        #expect(key.isEmpty)
    }

    @Test func commitsAccountForThemselvesEveryInterval() async throws {
        let physical = InMemoryBackend()
        let rootKey = SymmetricKey(size: .bits256)
        let barrier = Barrier(physical: physical, maxEncryptionsPerTerm: 1_000, accountingInterval: 4)
        try await barrier.initialize(rootKey: rootKey)
        for index in 0..<4 { try await barrier.put("logical/\(index)", [1]) }
        // The commit that crosses the interval writes the count on its own.
        let reopened = Barrier(physical: physical)
        for _ in 0..<100 {
            try await reopened.unseal(rootKey: rootKey)
            if reopened.encryptionCount == 4 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(reopened.encryptionCount == 4)
    }
}

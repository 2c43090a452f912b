import Foundation
import Testing
@testable import TresorAuth
@_spi(Server) @testable import TresorCore

/// Auth methods through the real core pipeline: what a login yields, and what names mean.
@Suite struct AuthHardeningTests {
    func core() async throws -> (Core, String) {
        var registry = BackendRegistry()
        AuthMethods.register(into: &registry)
        let core = Core(physical: InMemoryBackend(), registry: registry)
        let (_, root) = try await core.initializeDev(rootTokenID: nil)
        return (core, root)
    }

    func request(_ core: Core, _ op: LogicalOperation, _ path: String, token: String, data: [String: JSONValue] = [:],
                 from address: String = "127.0.0.1") async throws(TresorError) -> CoreResponse {
        try await core.handle(LogicalRequest(operation: op, path: path, data: data, clientToken: token, remoteAddress: address,
                                             isWrite: op == .update || op == .create))
    }

    /// Issue 14, item 6: a secret id's `token_bound_cidrs` bind the token it logs in with.
    @Test func secretIDTokenBoundCIDRsBindTheIssuedToken() async throws {
        let (core, root) = try await core()
        _ = try await request(core, .update, "sys/auth/approle", token: root, data: ["type": "approle"])
        _ = try await request(core, .update, "auth/approle/role/app", token: root, data: ["token_policies": "default"])
        let roleID = try #require(try await request(core, .read, "auth/approle/role/app/role-id", token: root).response?.data?["role_id"]?.stringValue)
        let issued = try await request(core, .update, "auth/approle/role/app/secret-id", token: root, data: ["token_bound_cidrs": ["10.1.0.0/16"]])
        let secretID = try #require(issued.response?.data?["secret_id"]?.stringValue)
        let login = try await request(core, .update, "auth/approle/login", token: "", data: ["role_id": .string(roleID), "secret_id": .string(secretID)])
        let token = try #require(login.response?.auth?.clientToken)
        let entry = try #require(try await core.tokens.lookup(token: token, storage: core.direct))
        #expect(entry.boundCIDRs == ["10.1.0.0/16"])
        await #expect(throws: TresorError.invalidToken) {
            _ = try await request(core, .read, "auth/token/lookup-self", token: token, from: "127.0.0.1")
        }
        _ = try await request(core, .read, "auth/token/lookup-self", token: token, from: "10.1.2.3")
    }

    @Test func aSecretIDCannotWidenItsRolesBounds() async throws {
        let (core, root) = try await core()
        _ = try await request(core, .update, "sys/auth/approle", token: root, data: ["type": "approle"])
        _ = try await request(core, .update, "auth/approle/role/app", token: root,
                              data: ["token_bound_cidrs": ["10.0.0.0/8"], "secret_id_bound_cidrs": ["127.0.0.0/8"]])
        for data: [String: JSONValue] in [["token_bound_cidrs": ["192.168.0.0/16"]], ["cidr_list": ["0.0.0.0/0"]], ["token_bound_cidrs": ["10.0.0.0/7"]]] {
            await #expect(throws: TresorError.self) {
                _ = try await request(core, .update, "auth/approle/role/app/secret-id", token: root, data: data)
            }
        }
        _ = try await request(core, .update, "auth/approle/role/app/secret-id", token: root, data: ["token_bound_cidrs": ["10.9.0.0/16"]])
        #expect(CIDR.isSubset(["10.9.0.0/16", "10.1.2.3"], of: ["10.0.0.0/8"]))
        #expect(!CIDR.isSubset(["10.0.0.0/7"], of: ["10.0.0.0/8"]))
        #expect(!CIDR.isSubset(["::1/128"], of: ["10.0.0.0/8"]))
    }

    /// Issue 14, items 1 and 9: root through a user's policies, and a user name's case.
    @Test func userpassCannotMintRootAndNamesAreOneCase() async throws {
        let (core, root) = try await core()
        _ = try await request(core, .update, "sys/auth/userpass", token: root, data: ["type": "userpass"])
        _ = try await request(core, .update, "auth/userpass/users/Eve", token: root, data: ["password": "pw", "token_policies": "default, Root"])
        await #expect(throws: TresorError.badRequest("auth methods cannot create root tokens")) {
            _ = try await request(core, .update, "auth/userpass/login/EVE", token: "", data: ["password": "pw"])
        }
        let read = try await request(core, .read, "auth/userpass/users/eve", token: root)
        #expect(read.response?.data?["token_policies"] == ["default", "root"])
    }
}

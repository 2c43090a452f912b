import Foundation
import Synchronization
@_spi(Server) @testable import TresorCore

/// A backend for pipeline tests: writes two keys and then fails, or reads a key back.
struct ProbeBackend: LogicalBackend {
    let paths: [PathSpec] = [
        PathSpec("write-two-then-fail", handlers: [
            .update: { ctx, _ in
                try await ctx.storage.put("a", [1])
                try await ctx.storage.put("b", [2])
                throw TresorError.badRequest("boom")
            },
        ]),
        PathSpec("write-two", handlers: [
            .update: { ctx, _ in
                try await ctx.storage.put("a", [1])
                // Reads inside the request see its own writes.
                guard try await ctx.storage.get("a") == [1] else { throw TresorError.internalError("own write not visible") }
                try await ctx.storage.put("b", [2])
                return nil
            },
        ]),
        PathSpec("has/{key}", handlers: [
            .read: { ctx, _ in
                let present = try await ctx.storage.get(ctx.capture("key")) != nil
                return LogicalResponse(data: ["present": .bool(present)])
            },
        ]),
        PathSpec("put/{key}", handlers: [
            .update: { ctx, _ in
                try await ctx.storage.put(ctx.capture("key"), [1])
                return nil
            },
        ]),
        // An effect outside Tresor, recorded first so an uncommitted request can be undone.
        PathSpec("effect/{name}", fields: [FieldSpec("fail", .bool)], handlers: [
            .update: { ctx, fields in
                let name = ctx.capture("name")
                try await ctx.recordOutsideEffect(["name": name])
                OutsideWorld.shared.withLock { _ = $0.insert(name) }
                if try fields.bool("fail") { throw TresorError.badRequest("failed after the effect") }
                try await ctx.storage.put("effect/" + name, [1])
                return nil
            },
        ]),
        // Answers a bare body, as endpoints that serve files (a CA certificate, a CRL) do.
        PathSpec("raw/{kind}", handlers: [
            .read: { ctx, _ in
                ctx.capture("kind") == "text"
                    ? .raw(status: 200, body: "raw-secret-text")
                    : .raw(status: 200, body: ["private_key": "raw-secret-key"])
            },
        ]),
        // Names stored lower-cased, as auth methods keep user and role names.
        PathSpec("users/{name}", lowercasing: ["name"], handlers: [
            .update: { ctx, _ in
                try await ctx.storage.put("user/" + ctx.capture("name"), [1])
                return LogicalResponse(data: ["stored": .string(ctx.capture("name"))])
            },
        ]),
    ]
}

extension ProbeBackend {
    func rollback(_ data: [String: String], storage: StorageView) async throws {
        guard let name = data["name"] else { return }
        OutsideWorld.shared.withLock { _ = $0.remove(name) }
    }
}

/// What the probe engine did outside Tresor, as a database would remember it.
enum OutsideWorld {
    static let shared = Mutex<Set<String>>([])
    static func contains(_ name: String) -> Bool { shared.withLock { $0.contains(name) } }
}

/// An auth method whose login grants whatever policies the request names.
struct GrantingAuthBackend: LogicalBackend {
    let specialPaths = SpecialPaths(unauthenticated: ["login"])
    let paths: [PathSpec] = [
        PathSpec("login", fields: [FieldSpec("policies", .stringSlice), FieldSpec("period", .int)], handlers: [
            .update: { _, fields in
                LogicalResponse(login: LoginGrant(policies: try fields.strings("policies"), displayName: "granted",
                                                  period: try fields.int("period")))
            },
        ]),
    ]
}

enum TestCore {
    static func make() async throws -> (Core, String) {
        var registry = BackendRegistry()
        registry.register(BackendFactory(type: "probe", kind: .secret) { _, _ in ProbeBackend() })
        registry.register(BackendFactory(type: "granting", kind: .auth) { _, _ in GrantingAuthBackend() })
        let core = Core(physical: InMemoryBackend(), registry: registry)
        let (_, root) = try await core.initializeDev(rootTokenID: nil)
        return (core, root)
    }

    /// Mounts the probe engine at `probe/` and the granting auth method at `auth/granting/`.
    static func makeWithMounts() async throws -> (Core, String) {
        let (core, root) = try await make()
        _ = try await request(core, .update, "sys/mounts/probe", token: root, data: ["type": "probe"])
        _ = try await request(core, .update, "sys/auth/granting", token: root, data: ["type": "granting"])
        return (core, root)
    }

    /// A token with these policies (written first from the given HCL texts), made by root.
    static func token(_ core: Core, root: String, policies: [String: String], extra: [String] = []) async throws -> String {
        for (name, text) in policies {
            let body = text.isEmpty ? #"path "unused/*" { capabilities = ["read"] }"# : text
            _ = try await request(core, .update, "sys/policies/acl/\(name)", token: root, data: ["policy": .string(body)])
        }
        let created = try await request(core, .update, "auth/token/create", token: root,
                                        data: ["policies": JSONValue(Array(policies.keys) + extra)])
        return created.response!.auth!.clientToken
    }

    static func request(_ core: Core, _ op: LogicalOperation, _ path: String, token: String, data: [String: JSONValue] = [:]) async throws(TresorError) -> CoreResponse {
        try await core.handle(LogicalRequest(operation: op, path: path, data: data, clientToken: token, isWrite: op == .update || op == .create))
    }
}

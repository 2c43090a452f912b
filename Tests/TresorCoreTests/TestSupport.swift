import Foundation
@testable import TresorCore

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
    ]
}

enum TestCore {
    static func make() async throws -> (Core, String) {
        var registry = BackendRegistry()
        registry.register(BackendFactory(type: "probe", kind: .secret) { _, _ in ProbeBackend() })
        let core = Core(physical: InMemoryBackend(), registry: registry)
        let (_, root) = try await core.initializeDev(rootTokenID: nil)
        return (core, root)
    }

    static func request(_ core: Core, _ op: LogicalOperation, _ path: String, token: String, data: [String: JSONValue] = [:]) async throws(TresorError) -> CoreResponse {
        try await core.handle(LogicalRequest(operation: op, path: path, data: data, clientToken: token, isWrite: op == .update || op == .create))
    }
}

@_spi(Server) import TresorCore
import TresorSecrets

/// A dev-mode core with the real secrets engines, driven request by request.
struct KVHarness {
    let core: Core
    let root: String

    static func make() async throws -> KVHarness {
        var registry = BackendRegistry()
        SecretsEngines.register(into: &registry)
        let core = Core(physical: InMemoryBackend(), registry: registry)
        let (_, root) = try await core.initializeDev(rootTokenID: nil)
        return KVHarness(core: core, root: root)
    }

    @discardableResult
    func call(_ op: LogicalOperation, _ path: String, _ data: [String: JSONValue] = [:], token: String? = nil) async throws(TresorError) -> LogicalResponse? {
        try await core.handle(LogicalRequest(operation: op, path: path, data: data, clientToken: token ?? root,
                                             isWrite: op == .update || op == .create)).response
    }
}

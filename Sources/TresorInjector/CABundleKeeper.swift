import Foundation
import Logging
import TresorJSON

/// Keeps the MutatingWebhookConfiguration named by `-tls-auto` trusting the injector's CA: at
/// start, and again whenever someone (a `helm upgrade`, an operator) resets the bundle. A CA from
/// an earlier run stays in the bundle beside the new one, as vault-k8s keeps it, so replicas
/// restarting one after another are trusted throughout.
struct CABundleKeeper: Sendable {
    let api: KubernetesAPI
    let configuration: String
    let caPEM: String
    let logger: Logger

    var path: String { "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/" + configuration }

    /// The bundle to publish: the last CA already there (another replica's or our predecessor's)
    /// and ours.
    func bundle(current: JSONValue) -> String {
        guard let encoded = current["webhooks"]?.arrayValue?.first?["clientConfig"]?["caBundle"]?.stringValue,
              let data = Data(base64Encoded: encoded), let old = String(data: data, encoding: .utf8) else { return caPEM }
        if old.contains(caPEM) { return old }
        let certificates = old.components(separatedBy: "-----BEGIN CERTIFICATE-----").dropFirst()
        guard let last = certificates.last else { return caPEM }
        return "-----BEGIN CERTIFICATE-----\n" + last.trimmingCharacters(in: .whitespacesAndNewlines) + "\n" + caPEM
    }

    /// The patch that puts `bundle` on every webhook of the configuration that lacks our CA.
    static func operations(current: JSONValue, bundle: String, caPEM: String) -> [JSONValue] {
        let webhooks = current["webhooks"]?.arrayValue ?? []
        let encoded = Data(bundle.utf8).base64EncodedString()
        return webhooks.indices.compactMap { index in
            let present = webhooks[index]["clientConfig"]?["caBundle"]?.stringValue
                .flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) } ?? ""
            guard !present.contains(caPEM) else { return nil }
            return ["op": "add", "path": .string("/webhooks/\(index)/clientConfig/caBundle"), "value": .string(encoded)]
        }
    }

    /// One check: reads the configuration and patches it when our CA is missing.
    func reconcile() async throws {
        let current = try await api.get(path)
        let operations = Self.operations(current: current, bundle: bundle(current: current), caPEM: caPEM)
        guard !operations.isEmpty else { return }
        try await api.patch(path, operations: operations)
        logger.info("updated the webhook's caBundle", metadata: ["configuration": "\(configuration)"])
    }

    /// Reconciles until cancelled: every 10 s, and after a failure with backoff up to a minute.
    func run() async {
        var delay: Duration = .seconds(10)
        while !Task.isCancelled {
            do {
                try await reconcile()
                delay = .seconds(10)
            } catch {
                logger.error("cannot update the webhook's caBundle", metadata: ["configuration": "\(configuration)", "error": "\(error)"])
                delay = min(delay * 2, .seconds(60))
            }
            try? await Task.sleep(for: delay)
        }
    }
}

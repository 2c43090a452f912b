import Foundation
import Testing
@testable import TresorAgent
@testable import TresorInjector
import TresorJSON

/// The seed's Deployment pod as the API server hands it to the webhook: the service account
/// admission plugin has already added the projected token volume.
func seedPod(annotations: [String: JSONValue]? = nil) -> JSONValue {
    let defaults: [String: JSONValue] = [
        "vault.hashicorp.com/agent-inject": "true",
        "vault.hashicorp.com/role": "internal-app",
        "vault.hashicorp.com/agent-inject-secret-config": "internal/data/database/config",
    ]
    return [
        "apiVersion": "v1", "kind": "Pod",
        "metadata": ["generateName": "orgchart-", "namespace": "default", "annotations": .object(annotations ?? defaults)],
        "spec": [
            "serviceAccountName": "internal-app",
            "containers": [[
                "name": "orgchart", "image": "jweissig/app:0.0.1",
                "volumeMounts": [["name": "kube-api-access-abcde", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true]],
            ]],
            "volumes": [["name": "kube-api-access-abcde", "projected": ["sources": [["serviceAccountToken": ["path": "token", "expirationSeconds": 3607]]]]]],
        ],
    ]
}

func review(_ pod: JSONValue, namespace: String = "default", apiVersion: String = "admission.k8s.io/v1") -> [UInt8] {
    JSONWriter.encode([
        "apiVersion": .string(apiVersion), "kind": "AdmissionReview",
        "request": ["uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "kind": ["group": "", "version": "v1", "kind": "Pod"],
                    "namespace": .string(namespace), "operation": "CREATE", "object": pod],
    ])
}

func settings() -> InjectorSettings {
    var settings = InjectorSettings()
    settings.vaultAddress = "http://tresor.default.svc:8200"
    return settings
}

func response(_ reply: AdmissionHandler.Reply) throws -> JSONValue {
    #expect(reply.status == 200)
    return try #require(try JSONValue.parse(reply.body)["response"])
}

func patch(of response: JSONValue) throws -> [JSONValue] {
    let encoded = try #require(response["patch"]?.stringValue)
    let bytes = try #require(Data(base64Encoded: encoded))
    return try #require(try JSONValue.parse(Array(bytes)).arrayValue)
}

@Suite struct AdmissionTests {
    let handler = AdmissionHandler(settings: settings())

    @Test func seedPodGetsInitContainerSidecarVolumeAndStatus() throws {
        let answer = try response(handler.handle(contentType: "application/json", body: review(seedPod())))
        #expect(answer["uid"]?.stringValue == "705ab4f5-6393-11e8-b7cc-42010a800002")
        #expect(answer["allowed"]?.boolValue == true)
        #expect(answer["patchType"]?.stringValue == "JSONPatch")
        let ops = try patch(of: answer)
        let paths = ops.compactMap { $0["path"]?.stringValue }
        #expect(paths == ["/spec/volumes/-", "/spec/volumes/-", "/spec/volumes/-", "/spec/containers/0/volumeMounts/-",
                          "/spec/initContainers", "/spec/containers/-", "/metadata/annotations/vault.hashicorp.com~1agent-inject-status"])
        #expect(ops.compactMap { $0["value"]?["name"]?.stringValue }.prefix(3) == ["home-init", "home-sidecar", "vault-secrets"])
        let initContainer = try #require(ops[4]["value"]?.arrayValue?.first)
        #expect(initContainer["name"]?.stringValue == "vault-agent-init")
        let sidecar = try #require(ops[5]["value"])
        #expect(sidecar["name"]?.stringValue == "vault-agent")
        #expect(sidecar["resources"]?["limits"]?["memory"]?.stringValue == "128Mi")
        #expect(sidecar["securityContext"]?["runAsUser"] == .int(100))
    }

    /// The configuration in VAULT_CONFIG is one Tresor's agent accepts: the init container's
    /// exits after the first render, the sidecar's does not.
    @Test func agentConfigurationLoadsInTheAgent() throws {
        let ops = try patch(of: try response(handler.handle(contentType: "application/json", body: review(seedPod()))))
        for (container, exits) in [(try #require(ops[4]["value"]?.arrayValue?.first), true), (try #require(ops[5]["value"]), false)] {
            #expect(container["command"] == ["tresor"])
            #expect(container["args"] == ["agent", "-config-env=VAULT_CONFIG"])
            let env = try #require(container["env"]?.arrayValue)
            let encoded = try #require(env.first { $0["name"]?.stringValue == "VAULT_CONFIG" }?["value"]?.stringValue)
            let document = try AgentConfigLoader.document(fromEnvironment: "VAULT_CONFIG", ["VAULT_CONFIG": encoded])
            let config = try AgentConfigLoader.load(documents: [document])
            #expect(config.exitAfterAuth == exits)
            #expect(config.vault.address == "http://tresor.default.svc:8200")
            #expect(config.methods.first?.type == "kubernetes")
            #expect(config.methods.first?.config["role"] == "internal-app")
            #expect(config.methods.first?.config["token_path"] == "/var/run/secrets/kubernetes.io/serviceaccount/token")
            #expect(config.templates.first?.destination == "/vault/secrets/config")
            #expect(config.templates.first?.contents?.contains("with secret \"internal/data/database/config\"") == true)
        }
    }

    /// `agent-enable-quit` gives both configurations a listener with the quit endpoint, as
    /// vault-k8s does, and the agent reads it as enabled.
    @Test func enableQuitAddsTheQuitListener() throws {
        let pod = seedPod(annotations: [
            "vault.hashicorp.com/agent-inject": "true", "vault.hashicorp.com/role": "internal-app",
            "vault.hashicorp.com/agent-inject-secret-config": "internal/data/database/config", "vault.hashicorp.com/agent-enable-quit": "true",
        ])
        let ops = try patch(of: try response(handler.handle(contentType: "application/json", body: review(pod))))
        for container in [try #require(ops[4]["value"]?.arrayValue?.first), try #require(ops[5]["value"])] {
            let env = try #require(container["env"]?.arrayValue)
            let encoded = try #require(env.first { $0["name"]?.stringValue == "VAULT_CONFIG" }?["value"]?.stringValue)
            let config = try AgentConfigLoader.load(documents: [try AgentConfigLoader.document(fromEnvironment: "VAULT_CONFIG", ["VAULT_CONFIG": encoded])])
            #expect(config.listeners.count == 1)
            #expect(config.listeners.first?.enableQuit == true && config.listeners.first?.address == "127.0.0.1:8200")
        }
    }

    @Test func podsThatDoNotAskAreLeftAlone() throws {
        var annotations: [String: JSONValue] = ["vault.hashicorp.com/agent-inject": "false"]
        for pod in [seedPod(annotations: [:]), seedPod(annotations: annotations)] {
            let answer = try response(handler.handle(contentType: "application/json", body: review(pod)))
            #expect(answer["allowed"]?.boolValue == true)
            #expect(answer["patch"] == nil)
        }
        annotations = ["vault.hashicorp.com/agent-inject": "true", "vault.hashicorp.com/agent-inject-status": "injected", "vault.hashicorp.com/role": "r"]
        let injected = try response(handler.handle(contentType: "application/json", body: review(seedPod(annotations: annotations))))
        #expect(injected["allowed"]?.boolValue == true && injected["patch"] == nil)
        // Unannotated pods in kube-system are simply allowed.
        let system = try response(handler.handle(contentType: "application/json", body: review(seedPod(annotations: [:]), namespace: "kube-system")))
        #expect(system["allowed"]?.boolValue == true)
    }

    @Test func systemNamespacesAndBadAnnotationsAreDeniedByName() throws {
        let system = try response(handler.handle(contentType: "application/json", body: review(seedPod(), namespace: "kube-system")))
        #expect(system["allowed"]?.boolValue == false)
        #expect(system["status"]?["message"]?.stringValue?.contains("kube-system") == true)
        let cases: [(String, JSONValue, String)] = [
            ("vault.hashicorp.com/agent-pre-populate", "yes", "agent-pre-populate"),
            ("vault.hashicorp.com/agent-limits-cpu", "lots", "agent-limits-cpu"),
            ("vault.hashicorp.com/agent-inject-secrets-typo", "x", "agent-inject-secrets-typo"),
            ("vault.hashicorp.com/namespace", "team-a", "vault.hashicorp.com/namespace"),
            ("vault.hashicorp.com/agent-run-as-user", "root", "agent-run-as-user"),
        ]
        for (key, value, named) in cases {
            var annotations = seedPod()["metadata"]?["annotations"]?.objectValue ?? [:]
            annotations[key] = value
            let answer = try response(handler.handle(contentType: "application/json", body: review(seedPod(annotations: annotations))))
            #expect(answer["allowed"]?.boolValue == false, "\(key)")
            #expect(answer["status"]?["message"]?.stringValue?.contains(named) == true, "\(answer)")
        }
        let noRole = try response(handler.handle(contentType: "application/json", body: review(seedPod(annotations: [
            "vault.hashicorp.com/agent-inject": "true", "vault.hashicorp.com/agent-inject-secret-x": "secret/data/x",
        ]))))
        #expect(noRole["status"]?["message"]?.stringValue?.contains("role") == true)
    }

    @Test func prePopulateOnlyAndInitFirst() throws {
        var annotations = seedPod()["metadata"]?["annotations"]?.objectValue ?? [:]
        annotations["vault.hashicorp.com/agent-pre-populate-only"] = "true"
        annotations["vault.hashicorp.com/agent-init-first"] = "true"
        var pod = seedPod(annotations: annotations)
        if case .object(var root) = pod, case .object(var spec)? = root["spec"] {
            spec["initContainers"] = [["name": "migrate", "image": "busybox"]]
            root["spec"] = .object(spec)
            pod = .object(root)
        }
        let ops = try patch(of: try response(handler.handle(contentType: "application/json", body: review(pod))))
        let paths = ops.compactMap { $0["path"]?.stringValue }
        #expect(!paths.contains("/spec/containers/-"))
        #expect(!ops.contains { $0["value"]?["name"]?.stringValue == "home-sidecar" })
        #expect(paths.contains("/spec/initContainers/1/volumeMounts"))
        let initialised = try #require(ops.first { $0["path"]?.stringValue == "/spec/initContainers" && $0["op"]?.stringValue == "add" })
        #expect(initialised["value"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["vault-agent-init", "migrate"])
    }

    @Test func hostileBodiesGetA4xx() {
        #expect(handler.handle(contentType: "application/json", body: Array("not json".utf8)).status == 400)
        #expect(handler.handle(contentType: "application/json", body: []).status == 400)
        #expect(handler.handle(contentType: "text/plain", body: review(seedPod())).status == 415)
        #expect(handler.handle(contentType: "application/json", body: Array("[1,2]".utf8)).status == 400)
        #expect(handler.handle(contentType: "application/json", body: Array(#"{"apiVersion":"v1","kind":"Pod"}"#.utf8)).status == 400)
        #expect(handler.handle(contentType: "application/json", body: Array(#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#.utf8)).status == 400)
        let deep = Array((String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)).utf8)
        #expect(handler.handle(contentType: "application/json", body: deep).status == 400)
        #expect(handler.handle(contentType: "application/json", body: [UInt8](repeating: 0x20, count: AdmissionHandler.maxBody + 1)).status == 413)
        let notPod = JSONWriter.encode(["apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                                        "request": ["uid": "u", "kind": ["kind": "Secret"], "object": ["data": [:]]]])
        #expect(handler.handle(contentType: "application/json", body: notPod).status == 400)
    }

    @Test func v1beta1IsAnsweredInKind() throws {
        let reply = handler.handle(contentType: "application/json", body: review(seedPod(), apiVersion: "admission.k8s.io/v1beta1"))
        #expect(try JSONValue.parse(reply.body)["apiVersion"]?.stringValue == "admission.k8s.io/v1beta1")
    }
}

@Suite struct InjectorSettingsTests {
    @Test func flagsThenEnvironment() throws {
        let parsed = try InjectorSettings.parse(arguments: ["-listen=127.0.0.1:9443", "-vault-address", "http://v:8200", "-log-level=debug"],
                                                environment: ["AGENT_INJECT_VAULT_ADDR": "http://env:8200", "AGENT_INJECT_CPU_LIMIT": "1"])
        #expect(parsed.listen == "127.0.0.1:9443")
        #expect(parsed.vaultAddress == "http://env:8200")
        #expect(parsed.cpuLimit == "1")
        #expect(parsed.logLevel == "debug")
        #expect(try parsed.listenAddress() == ("127.0.0.1", 9443))
    }

    @Test func refusals() throws {
        #expect(throws: InjectorError.self) { try InjectorSettings.parse(arguments: [], environment: [:]) }
        #expect(throws: InjectorError.self) { try InjectorSettings.parse(arguments: ["-vault-address=x", "-bogus=1"], environment: [:]) }
        #expect(throws: InjectorError.self) { try InjectorSettings.parse(arguments: ["-vault-address=x", "-use-leader-elector"], environment: [:]) }
        #expect(try InjectorSettings.parse(arguments: ["-vault-address=x", "-revoke-on-shutdown"], environment: [:]).revokeOnShutdown)
        #expect(throws: InjectorError.self) { try InjectorSettings.parse(arguments: ["-vault-address=x", "-memory-limit=lots"], environment: [:]) }
        #expect(throws: InjectorError.self) { try InjectorSettings.parse(arguments: ["-vault-address=x", "-default-template=yaml"], environment: [:]) }
    }

    @Test func valueGrammars() {
        for good in ["250m", "64Mi", "1", "0.5", "1e3", "2Gi", "+1"] { #expect(Quantity.isValid(good), "\(good)") }
        for bad in ["", "lots", "1.2.3", "Mi", "1ZB", "1e"] { #expect(!Quantity.isValid(bad), "\(bad)") }
        for good in ["1s", "300ms", "1.5h", "2h45m", "0"] { #expect(GoDurationText.isValid(good), "\(good)") }
        for bad in ["", "5", "1x", "h", "1.2.3s"] { #expect(!GoDurationText.isValid(bad), "\(bad)") }
        #expect(GoBool.parse("") == false && GoBool.parse("T") == true && GoBool.parse("yes") == nil)
    }
}

@Suite struct CABundleTests {
    @Test func ourCAJoinsTheLastOneAlreadyTrusted() throws {
        let ours = try WebhookCertificates(hosts: ["svc"])
        let earlier = try WebhookCertificates(hosts: ["svc"])
        let config: JSONValue = ["webhooks": [["name": "vault.hashicorp.com", "clientConfig": ["caBundle": .string(Data(earlier.caPEM.utf8).base64EncodedString())]]]]
        let keeper = CABundleKeeper(api: KubernetesAPI(base: "https://unused", tokenFile: "/dev/null", client: .shared), configuration: "cfg",
                                    caPEM: ours.caPEM, logger: .init(label: "t"))
        let bundle = keeper.bundle(current: config)
        #expect(bundle.contains(earlier.caPEM.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(bundle.hasSuffix(ours.caPEM))
        let ops = CABundleKeeper.operations(current: config, bundle: bundle, caPEM: ours.caPEM)
        #expect(ops.count == 1 && ops[0]["path"]?.stringValue == "/webhooks/0/clientConfig/caBundle")
        let current: JSONValue = ["webhooks": [["clientConfig": ["caBundle": .string(Data(bundle.utf8).base64EncodedString())]]]]
        #expect(CABundleKeeper.operations(current: current, bundle: bundle, caPEM: ours.caPEM).isEmpty)
    }
}

import TresorJSON

/// The RFC 6902 patch that adds the agent to a pod, op for op as vault-k8s builds it: the
/// in-memory volumes, the secrets mount in every chosen app container (and existing init
/// containers), the `vault-agent-init` init container, the `vault-agent` sidecar, and the
/// `agent-inject-status: injected` annotation.
enum PodPatch {
    static let initName = "vault-agent-init"
    static let sidecarName = "vault-agent"

    static func make(pod: JSONValue, plan: AgentPlan) throws(InjectorError) -> [JSONValue] {
        var ops: [JSONValue] = []
        let spec = pod["spec"]
        let originalVolumes = spec?["volumes"]?.arrayValue ?? []

        // Volumes. Unlike vault-k8s, a pod without volumes gets one array and appends after it
        // (vault-k8s replaces its own array with each group of volumes there).
        var volumes: [JSONValue] = []
        if plan.prePopulate { volumes.append(memoryVolume("home-init")) }
        if !plan.prePopulateOnly { volumes.append(memoryVolume("home-sidecar")) }
        volumes.append(memoryVolume("vault-secrets"))
        let custom = customVolumes(plan)
        volumes += custom.map { memoryVolume($0.name) }
        if !plan.configMap.isEmpty { volumes.append(["name": "vault-config", "configMap": ["name": .string(plan.configMap)]]) }
        if !plan.extraSecret.isEmpty { volumes.append(["name": "extra-secrets", "secret": ["secretName": .string(plan.extraSecret)]]) }
        if !plan.tlsSecret.isEmpty { volumes.append(["name": "vault-tls-secrets", "secret": ["secretName": .string(plan.tlsSecret)]]) }
        ops += appending(volumes, to: "/spec/volumes", existing: originalVolumes.count)

        // The secrets where the application reads them.
        var secretMounts: [JSONValue] = [["name": "vault-secrets", "mountPath": .string(plan.secretVolumePath)]]
        secretMounts += custom.map { ["name": .string($0.name), "mountPath": .string($0.path)] }
        let containers = spec?["containers"]?.arrayValue ?? []
        for (index, container) in containers.enumerated() where plan.injectContainers.contains(container["name"]?.stringValue ?? "") {
            ops += appending(secretMounts, to: "/spec/containers/\(index)/volumeMounts", existing: container["volumeMounts"]?.arrayValue?.count ?? 0)
        }

        let initContainers = spec?["initContainers"]?.arrayValue ?? []
        if plan.prePopulate {
            let agent = try patched(container(plan, forInit: true, pod: pod, secretMounts: secretMounts), plan.initPatch, "agent-init-json-patch")
            if plan.initFirst {
                if !initContainers.isEmpty { ops.append(["op": "remove", "path": "/spec/initContainers"]) }
                ops += appending([agent] + initContainers, to: "/spec/initContainers", existing: 0)
            } else {
                ops += appending([agent], to: "/spec/initContainers", existing: initContainers.count)
            }
            let shift = plan.initFirst ? 1 : 0
            for (index, existing) in initContainers.enumerated() where existing["name"]?.stringValue != initName {
                ops += appending(secretMounts, to: "/spec/initContainers/\(index + shift)/volumeMounts",
                                 existing: existing["volumeMounts"]?.arrayValue?.count ?? 0)
            }
            if let share = plan.shareProcessNamespace { ops.append(["op": "add", "path": "/spec/shareProcessNamespace", "value": .bool(share)]) }
        }
        if !plan.prePopulateOnly {
            let sidecar = try patched(container(plan, forInit: false, pod: pod, secretMounts: secretMounts), plan.sidecarPatch, "agent-json-patch")
            ops += appending([sidecar], to: "/spec/containers", existing: containers.count)
        }
        ops.append(["op": "add", "path": .string("/metadata/annotations/" + pointerEscaped(AgentPlan.prefix + "agent-inject-status")), "value": "injected"])
        return ops
    }

    /// The container with the pod's own patch for it applied, as vault-k8s does.
    static func patched(_ container: JSONValue, _ patch: JSONPatch?, _ annotation: String) throws(InjectorError) -> JSONValue {
        guard let patch else { return container }
        do {
            return try patch.apply(to: container)
        } catch {
            throw InjectorError("annotation \(AgentPlan.prefix + annotation): \(error.description)")
        }
    }

    /// Adds items to an array: the whole array when the pod has none, appends otherwise.
    static func appending(_ items: [JSONValue], to path: String, existing: Int) -> [JSONValue] {
        guard !items.isEmpty else { return [] }
        if existing == 0 {
            return [["op": "add", "path": .string(path), "value": .array(items)]]
        }
        return items.map { ["op": "add", "path": .string(path + "/-"), "value": $0] }
    }

    /// RFC 6901: `~` then `/`.
    static func pointerEscaped(_ key: String) -> String {
        key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    static func memoryVolume(_ name: String) -> JSONValue {
        ["name": .string(name), "emptyDir": ["medium": "Memory"]]
    }

    /// One extra volume per secret mount path other than the pod's, numbered in order.
    static func customVolumes(_ plan: AgentPlan) -> [(name: String, path: String)] {
        var paths: [String] = []
        for secret in plan.secrets where secret.mountPath != plan.secretVolumePath && !paths.contains(secret.mountPath) {
            paths.append(secret.mountPath)
        }
        return paths.enumerated().map { ("vault-secrets-custom-\($0.offset)", $0.element) }
    }

    static func container(_ plan: AgentPlan, forInit: Bool, pod: JSONValue, secretMounts: [JSONValue]) -> JSONValue {
        let home: JSONValue = ["name": .string(forInit ? "home-init" : "home-sidecar"), "mountPath": "/home/vault"]
        let token: JSONValue = ["name": .string(plan.serviceAccount.volumeName), "mountPath": .string(plan.serviceAccount.mountPath), "readOnly": true]
        var mounts: [JSONValue] = forInit ? [home, token] : [token, home]
        mounts += secretMounts
        if !plan.extraSecret.isEmpty { mounts.append(["name": "extra-secrets", "mountPath": "/vault/custom", "readOnly": true]) }
        mounts += copiedMounts(plan, pod: pod)
        if !plan.configMap.isEmpty { mounts.append(["name": "vault-config", "mountPath": "/vault/configs", "readOnly": true]) }
        if !plan.tlsSecret.isEmpty { mounts.append(["name": "vault-tls-secrets", "mountPath": "/vault/tls", "readOnly": true]) }

        var env: [JSONValue] = [
            fieldEnv("NAMESPACE", "metadata.namespace"), fieldEnv("HOST_IP", "status.hostIP"), fieldEnv("POD_IP", "status.podIP"),
        ]
        if !plan.goMaxProcs.isEmpty { env.append(valueEnv("GOMAXPROCS", plan.goMaxProcs)) }
        if !plan.clientTimeout.isEmpty { env.append(valueEnv("VAULT_CLIENT_TIMEOUT", plan.clientTimeout)) }
        if !plan.clientMaxRetries.isEmpty { env.append(valueEnv("VAULT_MAX_RETRIES", plan.clientMaxRetries)) }
        if !plan.logLevel.isEmpty { env.append(valueEnv("VAULT_LOG_LEVEL", plan.logLevel)) }
        if !plan.logFormat.isEmpty { env.append(valueEnv("VAULT_LOG_FORMAT", plan.logFormat)) }
        if !plan.proxyAddress.isEmpty { env.append(valueEnv("HTTPS_PROXY", plan.proxyAddress)) }
        var args: [JSONValue]
        if plan.configMap.isEmpty {
            env.append(valueEnv("VAULT_CONFIG", AgentConfigDocument.encoded(AgentConfigDocument.make(plan, forInit: forInit))))
            args = ["agent", "-config-env=VAULT_CONFIG"]
        } else {
            // The operator's own configuration files; the connection settings come as Vault's
            // environment variables.
            if !plan.address.isEmpty { env.append(valueEnv("VAULT_ADDR", plan.address)) }
            if !plan.caCert.isEmpty { env.append(valueEnv("VAULT_CACERT", plan.caCert)) }
            if !plan.caPath.isEmpty { env.append(valueEnv("VAULT_CAPATH", plan.caPath)) }
            if !plan.clientCert.isEmpty { env.append(valueEnv("VAULT_CLIENT_CERT", plan.clientCert)) }
            if !plan.clientKey.isEmpty { env.append(valueEnv("VAULT_CLIENT_KEY", plan.clientKey)) }
            env.append(valueEnv("VAULT_SKIP_VERIFY", plan.tlsSkipVerify ? "true" : "false"))
            args = ["agent", .string(forInit ? "-config=/vault/configs/config-init.hcl" : "-config=/vault/configs/config.hcl")]
        }

        var container: [String: JSONValue] = [
            "name": .string(forInit ? initName : sidecarName),
            "image": .string(plan.image),
            // The image's entrypoint is the tresor binary itself: no shell is needed to decode
            // the configuration, the agent reads VAULT_CONFIG.
            "command": ["tresor"],
            "args": .array(args),
            "env": .array(env),
            "volumeMounts": .array(mounts),
        ]
        if !forInit && plan.revokeOnShutdown { container["lifecycle"] = revokeHook(plan) }
        var resources: [String: JSONValue] = [:]
        if !plan.limits.isEmpty { resources["limits"] = JSONValue(plan.limits) }
        if !plan.requests.isEmpty { resources["requests"] = JSONValue(plan.requests) }
        if !resources.isEmpty { container["resources"] = .object(resources) }
        if plan.setSecurityContext {
            container["securityContext"] = [
                "capabilities": ["drop": ["ALL"]],
                "runAsUser": .int(plan.runAsUser),
                "runAsGroup": .int(plan.runAsGroup),
                "runAsNonRoot": .bool(plan.runAsUser != 0 && plan.runAsGroup != 0),
                "readOnlyRootFilesystem": true,
                "allowPrivilegeEscalation": false,
            ]
        }
        return .object(container)
    }

    /// `agent-revoke-on-shutdown`: before the sidecar stops, its token (the sink in
    /// `/home/vault`, the image's HOME) is revoked after the grace, as vault-k8s's hook does with
    /// `/bin/sh`, `sleep` and `vault`; the tresor binary does all three, no shell needed.
    static func revokeHook(_ plan: AgentPlan) -> JSONValue {
        var command: [String] = ["tresor", "token", "revoke", "-wait=\(plan.revokeGrace)", "-address=\(plan.address)"]
        if !plan.caCert.isEmpty { command.append("-ca-cert=\(plan.caCert)") }
        if !plan.clientCert.isEmpty { command.append("-client-cert=\(plan.clientCert)") }
        if !plan.clientKey.isEmpty { command.append("-client-key=\(plan.clientKey)") }
        if plan.tlsSkipVerify { command.append("-tls-skip-verify") }
        command.append("-self")
        return ["preStop": ["exec": ["command": JSONValue(command)]]]
    }

    /// `agent-copy-volume-mounts`: the named container's mounts, less its service-account ones.
    static func copiedMounts(_ plan: AgentPlan, pod: JSONValue) -> [JSONValue] {
        guard !plan.copyVolumeMountsFrom.isEmpty else { return [] }
        let all = (pod["spec"]?["containers"]?.arrayValue ?? []) + (pod["spec"]?["initContainers"]?.arrayValue ?? [])
        guard let source = all.first(where: { $0["name"]?.stringValue == plan.copyVolumeMountsFrom }) else { return [] }
        return (source["volumeMounts"]?.arrayValue ?? []).filter {
            !($0["mountPath"]?.stringValue ?? "").lowercased().contains("serviceaccount")
        }
    }

    static func fieldEnv(_ name: String, _ path: String) -> JSONValue {
        ["name": .string(name), "valueFrom": ["fieldRef": ["fieldPath": .string(path)]]]
    }

    static func valueEnv(_ name: String, _ value: String) -> JSONValue {
        ["name": .string(name), "value": .string(value)]
    }
}

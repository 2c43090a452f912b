import Foundation
import TresorJSON

/// What a pod's `vault.hashicorp.com/*` annotations ask for, read with vault-k8s's names,
/// defaults and parsing rules. A value that cannot be honoured is refused with a message naming
/// its annotation: the pod is then not admitted, as with vault-k8s.
struct AgentPlan: Sendable {
    struct Secret: Sendable {
        var rawName: String
        var fileName: String
        var path = ""
        var template: String?
        var templateFile: String?
        var command: String?
        var perms: String?
        var leftDelimiter = "{{"
        var rightDelimiter = "}}"
        var errorOnMissingKey = false
        var mountPath: String
        var destination: String
    }

    struct ServiceAccount: Sendable {
        var volumeName: String
        var mountPath: String
        var tokenPath: String
    }

    var image: String
    var prePopulate = true
    var prePopulateOnly = false
    var initFirst = false
    var injectContainers: [String]
    var secretVolumePath = "/vault/secrets"
    var secrets: [Secret] = []
    var defaultTemplate: String
    var injectToken = false
    var authType: String
    var authPath: String
    var authConfig: [String: String] = [:]
    var minBackoff = ""
    var maxBackoff = ""
    var autoAuthExitOnError = false
    var address: String
    var caCert = ""
    var caPath = ""
    var clientCert = ""
    var clientKey = ""
    var tlsSkipVerify = false
    var limits: [String: String] = [:]
    var requests: [String: String] = [:]
    var setSecurityContext: Bool
    var runAsUser: Int64
    var runAsGroup: Int64
    var logLevel = "info"
    var logFormat = "standard"
    var goMaxProcs = ""
    var configMap = ""
    var extraSecret = ""
    var tlsSecret = ""
    var copyVolumeMountsFrom = ""
    var shareProcessNamespace: Bool?
    var cacheEnabled = false
    /// `agent-json-patch` and `agent-init-json-patch`: RFC 6902 patches applied to the sidecar
    /// and to the init container as built.
    var sidecarPatch: JSONPatch?
    /// `agent-revoke-on-shutdown`: the sidecar's preStop hook revokes its token after
    /// `agent-revoke-grace` seconds.
    var revokeOnShutdown = false
    /// `agent-enable-quit`: the agent's first listener serves `POST /agent/v1/quit`.
    var enableQuit = false
    /// `client-timeout` and `client-max-retries`: VAULT_CLIENT_TIMEOUT and VAULT_MAX_RETRIES for the agent.
    var clientTimeout = ""
    var clientMaxRetries = ""
    /// `template-lease-renewal-threshold`: template_config.lease_renewal_threshold.
    var leaseRenewalThreshold: Double?
    /// `proxy-address`: HTTPS_PROXY for the agent (an http:// proxy; https addresses go through it).
    var proxyAddress = ""
    var revokeGrace: UInt64 = 5
    var initPatch: JSONPatch?
    var cacheUseAutoAuthToken = "true"
    var cacheListenerPort = "8200"
    var exitOnRetryFailure: Bool
    var staticSecretRenderInterval: String
    var maxConnectionsPerHost = 0
    var serviceAccount: ServiceAccount
    var namespace: String

    static let prefix = "vault.hashicorp.com/"

    /// Pod-wide annotations, without the prefix.
    static let podKeys: Set<String> = [
        "agent-inject", "agent-inject-status", "agent-configmap", "agent-image", "agent-init-first", "agent-pre-populate",
        "agent-pre-populate-only", "agent-inject-containers", "agent-inject-default-template", "agent-inject-token",
        "agent-extra-secret", "agent-copy-volume-mounts", "agent-limits-cpu", "agent-limits-mem", "agent-limits-ephemeral",
        "agent-requests-cpu", "agent-requests-mem", "agent-requests-ephemeral", "agent-revoke-on-shutdown", "agent-revoke-grace",
        "agent-run-as-user", "agent-run-as-group", "agent-run-as-same-user", "agent-set-security-context",
        "agent-share-process-namespace", "agent-service-account-token-volume-name", "agent-cache-enable",
        "agent-cache-use-auto-auth-token", "agent-cache-listener-port", "agent-cache-exit-on-err", "agent-enable-quit",
        "agent-disable-idle-connections", "agent-disable-keep-alives", "agent-auto-auth-exit-on-err", "agent-json-patch",
        "agent-init-json-patch", "agent-request-namespace", "auth-type", "auth-path", "role", "auth-min-backoff",
        "auth-max-backoff", "namespace", "service", "proxy-address", "tls-skip-verify", "tls-secret", "tls-server-name",
        "ca-cert", "ca-key", "client-cert", "client-key", "client-max-retries", "client-timeout", "go-max-procs", "log-level",
        "log-format", "secret-volume-path", "preserve-secret-case", "template-config-exit-on-retry-failure",
        "template-static-secret-render-interval", "template-max-connections-per-host", "template-lease-renewal-threshold",
    ]

    /// Per-secret annotations: `<prefix><name>`. `template-file-` before `template-`, as vault-k8s tests them.
    static let secretPrefixes = [
        "agent-inject-secret-", "agent-inject-template-file-", "agent-inject-template-", "agent-inject-file-",
        "agent-inject-perms-", "agent-inject-command-", "agent-template-left-delim-", "agent-template-right-delim-",
        "error-on-missing-key-", "secret-volume-path-", "preserve-secret-case-",
    ]

    /// vault-k8s annotations Tresor's agent cannot honour, refused when set to anything but their
    /// off value.
    static let refused: [String: String] = [
        "agent-cache-exit-on-err": "Tresor's agent has no persistent cache",
        "agent-disable-idle-connections": "Tresor's agent has no such setting",
        "agent-disable-keep-alives": "Tresor's agent has no such setting",
        "namespace": "Tresor has no Vault Enterprise namespaces",
        "tls-server-name": "Tresor's agent verifies the server by its address",
    ]

    /// The pod's annotations as the plan reads them; nil when the pod does not ask for an agent.
    init(pod: JSONValue, requestNamespace: String, settings: InjectorSettings) throws(InjectorError) {
        let annotations = Self.annotations(of: pod)
        func value(_ key: String) -> String? { annotations[Self.prefix + key] }
        func bool(_ key: String, _ fallback: Bool) throws(InjectorError) -> Bool {
            guard let text = value(key) else { return fallback }
            guard let parsed = GoBool.parse(text) else {
                throw InjectorError("invalid value \"\(text)\" for annotation \(Self.prefix + key): want true or false")
            }
            return parsed
        }
        func int(_ key: String, _ fallback: String) throws(InjectorError) -> Int64 {
            let text = value(key) ?? fallback
            if text.isEmpty { return 0 }
            guard let parsed = Int64(text) else { throw InjectorError("invalid value \"\(text)\" for annotation \(Self.prefix + key): want a whole number") }
            return parsed
        }

        for key in annotations.keys where key.hasPrefix(Self.prefix) {
            let name = String(key.dropFirst(Self.prefix.count))
            if Self.podKeys.contains(name) || name.hasPrefix("agent-telemetry-") || name.hasPrefix("auth-config-") { continue }
            if Self.secretPrefixes.contains(where: { name.hasPrefix($0) && name.count > $0.count }) { continue }
            throw InjectorError("unknown annotation \(key)")
        }
        for (name, reason) in Self.refused.sorted(by: { $0.key < $1.key }) {
            guard let text = value(name), !text.isEmpty, GoBool.parse(text) != false else { continue }
            throw InjectorError("annotation \(Self.prefix + name) is not supported: \(reason)")
        }
        if let telemetry = annotations.keys.sorted().first(where: { $0.hasPrefix(Self.prefix + "agent-telemetry-") }) {
            throw InjectorError("annotation \(telemetry) is not supported: Tresor's agent has no telemetry stanza")
        }
        let grace = value("agent-revoke-grace") ?? "5"
        guard let parsedGrace = UInt64(grace) else {
            throw InjectorError("invalid value \"\(grace)\" for annotation \(Self.prefix)agent-revoke-grace: want a whole number of seconds")
        }
        revokeGrace = parsedGrace

        namespace = value("agent-request-namespace") ?? requestNamespace
        guard !namespace.isEmpty else { throw InjectorError("namespace missing from request") }
        image = value("agent-image") ?? settings.agentImage
        guard !image.isEmpty else { throw InjectorError("no image found for the agent: set vault.hashicorp.com/agent-image") }
        let containers = pod["spec"]?["containers"]?.arrayValue ?? []
        let containerNames = containers.compactMap { $0["name"]?.stringValue }
        if let list = value("agent-inject-containers") {
            injectContainers = list.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        } else {
            injectContainers = containerNames
        }
        initFirst = try bool("agent-init-first", false)
        revokeOnShutdown = try bool("agent-revoke-on-shutdown", settings.revokeOnShutdown)
        enableQuit = try bool("agent-enable-quit", false)
        clientTimeout = value("client-timeout") ?? ""
        if !clientTimeout.isEmpty && !GoDurationText.isValid(clientTimeout) && UInt64(clientTimeout) == nil {
            throw InjectorError("invalid value \"\(clientTimeout)\" for annotation \(Self.prefix)client-timeout: want a duration")
        }
        if let text = value("template-lease-renewal-threshold"), !text.isEmpty {
            guard let fraction = Double(text), fraction > 0, fraction < 1 else {
                throw InjectorError("invalid value \"\(text)\" for annotation \(Self.prefix)template-lease-renewal-threshold: want a fraction between 0 and 1")
            }
            leaseRenewalThreshold = fraction
        }
        proxyAddress = value("proxy-address") ?? settings.proxyAddress
        if !proxyAddress.isEmpty {
            let text = proxyAddress.contains("://") ? proxyAddress : "http://" + proxyAddress
            guard let url = URLComponents(string: text), url.scheme?.lowercased() == "http", !(url.host ?? "").isEmpty else {
                throw InjectorError("invalid value \"\(proxyAddress)\" for annotation \(Self.prefix)proxy-address: want http://host:port")
            }
        }
        clientMaxRetries = value("client-max-retries") ?? ""
        if !clientMaxRetries.isEmpty && UInt64(clientMaxRetries) == nil {
            throw InjectorError("invalid value \"\(clientMaxRetries)\" for annotation \(Self.prefix)client-max-retries: want a whole number")
        }
        func patch(_ key: String) throws(InjectorError) -> JSONPatch? {
            guard let text = value(key), !text.isEmpty else { return nil }
            do {
                return try JSONPatch(parsing: text)
            } catch {
                throw InjectorError("annotation \(Self.prefix + key): \(error.description)")
            }
        }
        sidecarPatch = try patch("agent-json-patch")
        initPatch = try patch("agent-init-json-patch")
        prePopulate = try bool("agent-pre-populate", true)
        prePopulateOnly = try bool("agent-pre-populate-only", false)
        tlsSkipVerify = try bool("tls-skip-verify", false)
        injectToken = try bool("agent-inject-token", false)
        cacheEnabled = try bool("agent-cache-enable", false)
        autoAuthExitOnError = try bool("agent-auto-auth-exit-on-err", false)
        exitOnRetryFailure = try bool("template-config-exit-on-retry-failure", settings.exitOnRetryFailure)
        staticSecretRenderInterval = value("template-static-secret-render-interval") ?? settings.staticSecretRenderInterval
        if !staticSecretRenderInterval.isEmpty && !GoDurationText.isValid(staticSecretRenderInterval) {
            throw InjectorError("invalid value \"\(staticSecretRenderInterval)\" for annotation \(Self.prefix)template-static-secret-render-interval: want a duration")
        }
        maxConnectionsPerHost = Int(try int("template-max-connections-per-host", ""))
        if let shared = value("agent-share-process-namespace") {
            guard let parsed = GoBool.parse(shared) else {
                throw InjectorError("invalid value \(shared) for annotation \"\(Self.prefix)agent-share-process-namespace\": want true or false")
            }
            if parsed, pod["spec"]?["shareProcessNamespace"]?.boolValue == false {
                throw InjectorError("shareProcessNamespace explicitly disabled on the pod, refusing to enable it")
            }
            shareProcessNamespace = parsed
        }
        cacheUseAutoAuthToken = value("agent-cache-use-auto-auth-token") ?? "true"
        guard ["true", "false", "force"].contains(cacheUseAutoAuthToken) else {
            throw InjectorError("invalid value \"\(cacheUseAutoAuthToken)\" for annotation \(Self.prefix)agent-cache-use-auto-auth-token: want true, false or force")
        }
        cacheListenerPort = value("agent-cache-listener-port") ?? "8200"
        guard let port = Int(cacheListenerPort), (1...65535).contains(port) else {
            throw InjectorError("invalid value \"\(cacheListenerPort)\" for annotation \(Self.prefix)agent-cache-listener-port: want a port number")
        }

        defaultTemplate = (value("agent-inject-default-template") ?? settings.defaultTemplate).lowercased()
        guard ["map", "json"].contains(defaultTemplate) else { throw InjectorError("invalid default template type: \(defaultTemplate)") }
        authType = value("auth-type") ?? settings.authType
        guard ["kubernetes", "approle", "token_file"].contains(authType) else {
            throw InjectorError("invalid value \"\(authType)\" for annotation \(Self.prefix)auth-type: Tresor's agent logs in with kubernetes, approle or token_file")
        }
        authPath = value("auth-path") ?? settings.authPath
        minBackoff = value("auth-min-backoff") ?? settings.authMinBackoff
        maxBackoff = value("auth-max-backoff") ?? settings.authMaxBackoff
        for (key, text) in [("auth-min-backoff", minBackoff), ("auth-max-backoff", maxBackoff)] where !text.isEmpty && !GoDurationText.isValid(text) {
            throw InjectorError("invalid value \"\(text)\" for annotation \(Self.prefix + key): want a duration")
        }
        address = value("service") ?? settings.vaultAddress
        caCert = value("ca-cert") ?? ""
        caPath = value("ca-key") ?? ""
        clientCert = value("client-cert") ?? ""
        clientKey = value("client-key") ?? ""
        logLevel = value("log-level") ?? "info"
        logFormat = value("log-format") ?? "standard"
        goMaxProcs = value("go-max-procs") ?? ""
        configMap = value("agent-configmap") ?? ""
        extraSecret = value("agent-extra-secret") ?? ""
        tlsSecret = value("tls-secret") ?? ""
        copyVolumeMountsFrom = value("agent-copy-volume-mounts") ?? ""
        secretVolumePath = value("secret-volume-path") ?? "/vault/secrets"

        let resourceKeys = [("agent-limits-cpu", settings.cpuLimit, "cpu", true), ("agent-limits-mem", settings.memoryLimit, "memory", true),
                            ("agent-limits-ephemeral", settings.ephemeralLimit, "ephemeral-storage", true),
                            ("agent-requests-cpu", settings.cpuRequest, "cpu", false), ("agent-requests-mem", settings.memoryRequest, "memory", false),
                            ("agent-requests-ephemeral", settings.ephemeralRequest, "ephemeral-storage", false)]
        for (key, fallback, resource, isLimit) in resourceKeys {
            let text = value(key) ?? fallback
            if text.isEmpty { continue }
            guard Quantity.isValid(text) else {
                throw InjectorError("invalid value \"\(text)\" for annotation \(Self.prefix + key): not a Kubernetes quantity")
            }
            if isLimit { limits[resource] = text } else { requests[resource] = text }
        }

        // The security context: an explicit run-as annotation turns it on, as in vault-k8s.
        let runAsGiven = value("agent-run-as-user") != nil || value("agent-run-as-group") != nil || value("agent-run-as-same-user") != nil
        setSecurityContext = try bool("agent-set-security-context", settings.setSecurityContext || runAsGiven)
        runAsUser = try int("agent-run-as-user", settings.runAsUser)
        runAsGroup = try int("agent-run-as-group", settings.runAsGroup)
        if try bool("agent-run-as-same-user", settings.runAsSameUser) {
            guard let first = containers.first else { throw InjectorError("No containers found in Pod Spec") }
            guard let context = first["securityContext"], context.objectValue != nil else { throw InjectorError("No SecurityContext found for Container 0") }
            guard case .int(let uid)? = context["runAsUser"] else { throw InjectorError("RunAsUser is nil for Container 0's SecurityContext") }
            guard uid != 0 else { throw InjectorError("container not allowed to run as root") }
            runAsUser = uid
        }

        serviceAccount = try Self.serviceAccount(of: pod, volumeName: value("agent-service-account-token-volume-name") ?? "")
        for (key, text) in annotations where key.hasPrefix(Self.prefix + "auth-config-") {
            let option = String(key.dropFirst((Self.prefix + "auth-config-").count)).replacingOccurrences(of: "-", with: "_")
            if !option.isEmpty { authConfig[option] = text }
        }
        if authConfig["token_path"] == nil && authType == "kubernetes" {
            authConfig["token_path"] = (serviceAccount.mountPath as NSString).appendingPathComponent(serviceAccount.tokenPath)
        }
        if let role = value("role") { authConfig["role"] = role }

        secrets = try Self.secrets(annotations, podVolumePath: secretVolumePath)

        if configMap.isEmpty {
            guard !authPath.isEmpty else { throw InjectorError("no Vault Auth Path found") }
            guard !address.isEmpty else { throw InjectorError("no Vault address found") }
            if authType == "kubernetes" && (authConfig["role"] ?? "").isEmpty {
                throw InjectorError("no Vault role found: set the vault.hashicorp.com/role annotation")
            }
        }
    }

    /// Whether a pod asks for injection at all; a bad `agent-inject` value is an error.
    static func wantsInjection(_ pod: JSONValue) throws(InjectorError) -> Bool {
        let annotations = annotations(of: pod)
        guard let text = annotations[prefix + "agent-inject"] else { return false }
        guard let inject = GoBool.parse(text) else {
            throw InjectorError("invalid value \"\(text)\" for annotation \(prefix)agent-inject: want true or false")
        }
        guard inject else { return false }
        if let phase = pod["status"]?["phase"]?.stringValue, !phase.isEmpty, phase != "Pending" { return false }
        return annotations[prefix + "agent-inject-status"] != "injected"
    }

    static func annotations(of pod: JSONValue) -> [String: String] {
        (pod["metadata"]?["annotations"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    /// Where the agent finds the pod's service account token: the named (projected) volume, or
    /// the first app-container mount whose path names a service account.
    static func serviceAccount(of pod: JSONValue, volumeName: String) throws(InjectorError) -> ServiceAccount {
        let containers = pod["spec"]?["containers"]?.arrayValue ?? []
        let mounts = containers.flatMap { $0["volumeMounts"]?.arrayValue ?? [] }
        if !volumeName.isEmpty {
            let volumes = pod["spec"]?["volumes"]?.arrayValue ?? []
            guard let volume = volumes.first(where: { $0["name"]?.stringValue == volumeName }) else {
                throw InjectorError("failed to find service account volume \"\(volumeName)\"")
            }
            let sources = volume["projected"]?["sources"]?.arrayValue ?? []
            guard let tokenPath = sources.lazy.compactMap({ $0["serviceAccountToken"]?["path"]?.stringValue }).first else {
                throw InjectorError("failed to find tokenPath for projected volume \"\(volumeName)\"")
            }
            let mountPath = mounts.first { $0["name"]?.stringValue == volumeName }?["mountPath"]?.stringValue
                ?? "/var/run/secrets/vault.hashicorp.com/serviceaccount"
            return ServiceAccount(volumeName: volumeName, mountPath: mountPath, tokenPath: tokenPath)
        }
        for mount in mounts {
            if let path = mount["mountPath"]?.stringValue, path.contains("serviceaccount"), let name = mount["name"]?.stringValue {
                return ServiceAccount(volumeName: name, mountPath: path, tokenPath: "token")
            }
        }
        throw InjectorError("failed to find service account volume mount")
    }

    /// The secrets the pod names, in a stable order (vault-k8s walks a map, so any order is
    /// compatible; sorted keeps patches reproducible).
    static func secrets(_ annotations: [String: String], podVolumePath: String) throws(InjectorError) -> [Secret] {
        var names: [String] = []
        for (key, text) in annotations.sorted(by: { $0.key < $1.key }) where key.hasPrefix(prefix) {
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { continue }
            let name = key.dropFirst(prefix.count)
            for declaring in ["agent-inject-secret-", "agent-inject-template-file-", "agent-inject-template-"] where name.hasPrefix(declaring) {
                let raw = String(name.dropFirst(declaring.count))
                if !raw.isEmpty && !names.contains(raw) { names.append(raw) }
                break
            }
        }
        let podPreserveCase = GoBool.parse(annotations[prefix + "preserve-secret-case"] ?? "") ?? false
        return try names.sorted().map { raw throws(InjectorError) -> Secret in
            func value(_ key: String) -> String? { annotations[prefix + key + raw] }
            let preserve = value("preserve-secret-case-").flatMap(GoBool.parse) ?? podPreserveCase
            let fileName = preserve ? raw : raw.lowercased()
            let mountPath = value("secret-volume-path-") ?? podVolumePath
            var destination = mountPath + "/" + fileName
            if let file = value("agent-inject-file-") {
                destination = ((mountPath as NSString).appendingPathComponent(file) as NSString).standardizingPath
            }
            var secret = Secret(rawName: raw, fileName: fileName, mountPath: mountPath, destination: destination)
            secret.path = value("agent-inject-secret-") ?? ""
            secret.template = value("agent-inject-template-")
            if secret.template == nil { secret.templateFile = value("agent-inject-template-file-") }
            secret.command = value("agent-inject-command-")
            secret.perms = value("agent-inject-perms-")
            if let perms = secret.perms, UInt16(perms, radix: 8) == nil {
                throw InjectorError("invalid value \"\(perms)\" for annotation \(prefix)agent-inject-perms-\(raw): want an octal file mode")
            }
            secret.leftDelimiter = value("agent-template-left-delim-") ?? "{{"
            secret.rightDelimiter = value("agent-template-right-delim-") ?? "}}"
            if let text = value("error-on-missing-key-") {
                guard let parsed = GoBool.parse(text) else {
                    throw InjectorError("invalid value \"\(text)\" for annotation \(prefix)error-on-missing-key-\(raw): want true or false")
                }
                secret.errorOnMissingKey = parsed
            }
            return secret
        }
    }
}

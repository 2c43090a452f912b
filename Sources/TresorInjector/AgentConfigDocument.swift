import Foundation
import TresorJSON

/// The agent configuration the injector hands each agent container, in Vault Agent's JSON form
/// with the keys vault-k8s writes: the init container's exits after the first render, the
/// sidecar's keeps the token and the files fresh.
enum AgentConfigDocument {
    static let tokenSink = "/home/vault/.vault-token"

    static func make(_ plan: AgentPlan, forInit: Bool) -> JSONValue {
        var method: [String: JSONValue] = ["type": .string(plan.authType), "mount_path": .string(plan.authPath)]
        if !plan.minBackoff.isEmpty { method["min_backoff"] = .string(plan.minBackoff) }
        if !plan.maxBackoff.isEmpty { method["max_backoff"] = .string(plan.maxBackoff) }
        if !plan.authConfig.isEmpty { method["config"] = JSONValue(plan.authConfig) }
        if plan.autoAuthExitOnError { method["exit_on_err"] = true }
        var sinks: [JSONValue] = [["type": "file", "config": ["path": .string(tokenSink)]]]
        if plan.injectToken { sinks.append(["type": "file", "config": ["path": .string(plan.secretVolumePath + "/token")]]) }

        var vault: [String: JSONValue] = ["address": .string(plan.address)]
        if !plan.caCert.isEmpty { vault["ca_cert"] = .string(plan.caCert) }
        if !plan.caPath.isEmpty { vault["ca_path"] = .string(plan.caPath) }
        if plan.tlsSkipVerify { vault["tls_skip_verify"] = true }
        if !plan.clientCert.isEmpty { vault["client_cert"] = .string(plan.clientCert) }
        if !plan.clientKey.isEmpty { vault["client_key"] = .string(plan.clientKey) }

        var config: [String: JSONValue] = [
            "auto_auth": ["method": .object(method), "sink": .array(sinks)],
            "exit_after_auth": .bool(forInit),
            "pid_file": "/home/vault/.pid",
            "vault": .object(vault),
        ]
        if !plan.secrets.isEmpty { config["template"] = .array(plan.secrets.map { template($0, plan) }) }
        var templateConfig: [String: JSONValue] = ["exit_on_retry_failure": .bool(plan.exitOnRetryFailure)]
        if !plan.staticSecretRenderInterval.isEmpty { templateConfig["static_secret_render_interval"] = .string(plan.staticSecretRenderInterval) }
        if plan.maxConnectionsPerHost > 0 { templateConfig["max_connections_per_host"] = JSONValue(plan.maxConnectionsPerHost) }
        if let threshold = plan.leaseRenewalThreshold { templateConfig["lease_renewal_threshold"] = .double(threshold) }
        config["template_config"] = .object(templateConfig)
        // The API proxy the application may call on localhost: in the long-running sidecar only
        // (Tresor's agent keeps no persistent cache for an init container to hand over).
        if plan.cacheEnabled && !forInit && !plan.prePopulateOnly {
            config["listener"] = [["type": "tcp", "address": .string("127.0.0.1:" + plan.cacheListenerPort), "tls_disable": true]]
            config["cache"] = ["use_auto_auth_token": .string(plan.cacheUseAutoAuthToken)]
        }
        // `agent-enable-quit`: the first listener (made if there is none) answers /agent/v1/quit.
        if plan.enableQuit {
            var listeners = config["listener"]?.arrayValue
                ?? [["type": "tcp", "address": .string("127.0.0.1:" + plan.cacheListenerPort), "tls_disable": true]]
            if case .object(var first) = listeners[0] {
                first["agent_api"] = ["enable_quit": true]
                listeners[0] = .object(first)
            }
            config["listener"] = .array(listeners)
            if config["cache"] == nil { config["cache"] = [:] }
        }
        return .object(config)
    }

    static func template(_ secret: AgentPlan.Secret, _ plan: AgentPlan) -> JSONValue {
        var template: [String: JSONValue] = [
            "destination": .string(secret.destination),
            "left_delimiter": .string(secret.leftDelimiter),
            "right_delimiter": .string(secret.rightDelimiter),
        ]
        if let custom = secret.template {
            template["contents"] = .string(custom)
        } else if let file = secret.templateFile {
            template["source"] = .string(file)
        } else {
            template["contents"] = .string(defaultTemplate(plan.defaultTemplate, path: secret.path))
        }
        if let command = secret.command { template["command"] = .string(command) }
        if let perms = secret.perms { template["perms"] = .string(perms) }
        if secret.errorOnMissingKey { template["error_on_missing_key"] = true }
        return .object(template)
    }

    /// vault-k8s's templates for a secret named without one: every top-level key of the
    /// response's data on its own line (`map`), or that data as one JSON line (`json`).
    static func defaultTemplate(_ kind: String, path: String) -> String {
        kind == "json"
            ? "{{ with secret \"\(path)\" }}{{ .Data | toJSON }}\n{{ end }}"
            : "{{ with secret \"\(path)\" }}{{ range $k, $v := .Data }}{{ $k }}: {{ $v }}\n{{ end }}{{ end }}"
    }

    /// The configuration as the `VAULT_CONFIG` environment variable carries it: base64 of JSON.
    static func encoded(_ config: JSONValue) -> String {
        Data(JSONWriter.encode(config)).base64EncodedString()
    }
}

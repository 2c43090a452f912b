@_spi(Server) import TresorCore

/// `sys/config/state/sanitized`: the configuration the server runs with, in Vault's keys, with
/// nothing secret in it. Storage and seal show their type only (their options hold connection
/// strings, passwords and keys); listeners show their addresses and TLS settings, file paths
/// but never file contents. Keys Vault has and Tresor does not show Vault's value for "off".
extension ServerConfig {
    var sanitized: JSONValue {
        var top: [String: JSONValue] = [
            "api_addr": .string(apiAddr), "cluster_addr": .string(clusterAddr), "cluster_name": .string(clusterName),
            "cache_size": .int(Int64(cacheSize)), "disable_cache": .bool(disableCache),
            "default_lease_ttl": .int(defaultLeaseTTL), "max_lease_ttl": .int(maxLeaseTTL),
            "log_level": .string(logLevel), "log_format": .string(logFormat), "log_requests_level": "",
            "pid_file": .string(pidFile), "enable_ui": .bool(ui),
            "unsafe_allow_api_audit_creation": .bool(allowAPIAuditCreation ?? false),
            "allow_audit_log_prefixing": .bool(allowAuditLogPrefixing),
        ]
        for key in ["disable_clustering", "disable_indexing", "disable_performance_standby", "disable_printable_check",
                    "disable_sealwrap", "disable_sentinel_trace", "disable_standby_reads", "enable_response_header_hostname",
                    "enable_response_header_raft_node_id", "imprecise_lease_role_tracking", "introspection_endpoint",
                    "raw_storage_endpoint", "allow_unauthenticated_workflows", "unsafe_cross_namespace_identity",
                    "unsafe_relative_paths"] {
            top[key] = false
        }
        top["disable_ssct_tokens"] = true
        for key in ["cluster_cipher_suites", "detect_deadlocks", "plugin_directory"] { top[key] = "" }
        for key in ["default_max_request_duration", "plugin_file_permissions", "plugin_file_uid"] { top[key] = .int(0) }
        top["listeners"] = .array(listeners.map { listener in
            var config: [String: JSONValue] = ["address": .string(listener.address), "tls_disable": .bool(listener.tlsDisable)]
            if !listener.clusterAddress.isEmpty { config["cluster_address"] = .string(listener.clusterAddress) }
            if !listener.tlsDisable {
                config["tls_cert_file"] = .string(listener.tlsCertFile)
                config["tls_key_file"] = .string(listener.tlsKeyFile)
                config["tls_min_version"] = .string(listener.tlsMinVersion)
                config["tls_max_version"] = .string(listener.tlsMaxVersion)
                if !listener.tlsClientCAFile.isEmpty { config["tls_client_ca_file"] = .string(listener.tlsClientCAFile) }
                config["tls_require_and_verify_client_cert"] = .bool(listener.tlsRequireAndVerifyClientCert)
                config["tls_disable_client_certs"] = .bool(listener.tlsDisableClientCerts)
            }
            config["max_request_size"] = .int(Int64(listener.maxRequestSize))
            return ["type": "tcp", "config": .object(config)]
        })
        top["storage"] = [
            "type": .string(storage?.type ?? ""), "cluster_addr": .string(clusterAddr),
            "redirect_addr": .string(apiAddr), "disable_clustering": false,
        ]
        top["seals"] = [["type": .string(seal?.type ?? "shamir"), "disabled": false]]
        return .object(top)
    }

    /// What a dev server reports: in memory, one listener, everything else at its default.
    static func dev(listen: String, apiAddress: String) -> ServerConfig {
        var config = ServerConfig()
        config.listeners = [Listener(address: listen, tlsDisable: true)]
        config.storage = Stanza(type: "inmem", options: [:], file: "")
        config.apiAddr = apiAddress
        config.allowAPIAuditCreation = true
        return config
    }
}

/// Every key a server config may hold, and what Tresor does with it.
///
/// A key is honoured or refused with a reason, never read and dropped: a Vault config migrated
/// to Tresor must not lose a setting without a word (an mTLS requirement silently ignored is an
/// open door). The few keys that change nothing on a single Tresor node say why at start-up.
enum ConfigKeys {
    /// Top-level keys the loader reads itself.
    static let topLevel: Set<String> = [
        "storage", "backend", "listener", "seal", "api_addr", "cluster_addr", "ui", "log_level", "log_format",
        "default_lease_ttl", "max_lease_ttl", "disable_mlock", "cluster_name", "disable_cache", "cache_size", "pid_file",
        "audit", "unsafe_allow_api_audit_creation", "allow_audit_log_prefixing",
        "log_file", "log_rotate_bytes", "log_rotate_duration", "log_rotate_max_files", "telemetry",
    ]

    /// Vault keys Tresor does not implement: starting with them would pretend they hold.
    static let refusedTopLevel: [String: String] = [
        "ha_storage": "a separate ha_storage is not supported: HA runs on the main storage",
        "plugin_directory": "Tresor has no external plugins",
        "plugin_file_uid": "Tresor has no external plugins",
        "plugin_file_permissions": "Tresor has no external plugins",
        "service_registration": "service_registration is not supported",
        "entropy": "external entropy sources are not supported",
        "disable_clustering": "clustering settings are not supported",
        "disable_performance_standby": "performance standbys are not supported",
        "disable_sealwrap": "seal wrapping is not supported",
        "disable_printable_check": "disable_printable_check is not supported",
        "raw_storage_endpoint": "the raw storage endpoint is not supported",
        "introspection_endpoint": "the introspection endpoint is not supported",
        "enable_response_header_hostname": "response header options are not supported",
        "enable_response_header_raft_node_id": "response header options are not supported",
        "license_path": "Tresor needs no license",
        "imprecise_lease_role_tracking": "imprecise_lease_role_tracking is not supported",
    ]

    /// Keys of `listener "tcp"` that Tresor honours.
    static let listener: Set<String> = [
        "address", "cluster_address", "tls_disable", "tls_cert_file", "tls_key_file", "tls_min_version", "tls_max_version",
        "tls_cipher_suites", "tls_client_ca_file", "tls_require_and_verify_client_cert", "tls_disable_client_certs",
        "max_request_size", "max_json_depth", "max_json_string_value_length", "max_json_object_entry_count",
        "max_json_array_element_count", "max_request_json_memory", "max_request_json_strings",
        "disable_unauthed_generate_root_endpoints", "disable_unauthed_rekey_endpoints", "telemetry",
    ]

    /// Options of each storage type. `raft`'s `node_id` names the one node; `retry_join` would ask
    /// for a cluster of private files, which Tresor refuses (use PostgreSQL or etcd).
    static let storage: [String: Set<String>] = [
        "sqlite": ["path"],
        "file": ["path"],
        "raft": ["path", "node_id"],
        "postgresql": ["connection_url", "table", "ha_enabled", "ha_table"],
        "etcd": ["address", "etcd_api", "ha_enabled", "path", "tls_ca_file", "tls_cert_file", "tls_key_file", "username", "password"],
        "inmem": [],
    ]

    /// Options of each seal type.
    static let seal: [String: Set<String>] = [
        "shamir": [],
        "static": ["current_key_id", "current_key"],
        "transit": ["address", "token", "key_name", "mount_path", "tls_ca_cert", "tls_skip_verify"],
    ]

    /// Why an option of a storage or seal stanza is refused.
    static func unsupported(_ kind: String, _ type: String, _ key: String) -> String {
        switch (kind, type, key) {
        case ("storage", "raft", "retry_join"):
            return "storage \"raft\": retry_join is not supported: several nodes need shared storage, use storage \"postgresql\""
        case ("storage", _, "ha_enabled"), ("storage", _, "ha_table"):
            return "storage \"\(type)\": \(key) is not supported: for several nodes use storage \"postgresql\" with ha_enabled = \"true\""
        default:
            return "\(kind) \"\(type)\": unsupported key \"\(key)\""
        }
    }
}

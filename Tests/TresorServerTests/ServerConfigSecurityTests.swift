import Foundation
import NIOSSL
import Testing
@_spi(Server) import TresorCore
@testable import TresorCommand

/// A migrated Vault config must never lose a setting without a word: each key is honoured or
/// refused with its name (issue 14, item 5), and production defaults are Vault's safe ones.
@Suite struct ServerConfigSecurityTests {
    func parse(_ text: String) throws -> ServerConfig {
        try ServerConfigLoader.parse(text, file: "test.hcl")
    }

    func refusal(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return "\(error)"
        }
    }

    static let tlsListener = """
    listener "tcp" {
      address = "127.0.0.1:8200"
      tls_cert_file = "/c.pem"
      tls_key_file = "/k.pem"
      %@
    }
    """

    func listener(_ extra: String) -> String { Self.tlsListener.replacingOccurrences(of: "%@", with: extra) }

    @Test func mutualTLSKeysAreRead() throws {
        let config = try parse(listener("""
          tls_client_ca_file = "/ca.pem"
          tls_require_and_verify_client_cert = true
          tls_min_version = "tls13"
          tls_max_version = "tls13"
          tls_cipher_suites = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305"
          max_json_depth = 50
          max_request_json_strings = 200
        """))
        let listener = try #require(config.listeners.first)
        #expect(listener.tlsClientCAFile == "/ca.pem" && listener.tlsRequireAndVerifyClientCert)
        #expect(listener.tlsMinVersion == "tls13" && listener.tlsMaxVersion == "tls13")
        #expect(listener.tlsCipherSuites.count == 2)
        #expect(listener.jsonLimits.maxDepth == 50 && listener.jsonLimits.maxStrings == 200)
        #expect(listener.jsonLimits.maxArrayElements == JSONLimits.requestDefault.maxArrayElements)
    }

    @Test(arguments: [
        ("x_forwarded_for_authorized_addrs = \"10.0.0.0/8\"", "x_forwarded_for_authorized_addrs"),
        ("proxy_protocol_behavior = \"use_always\"", "proxy_protocol_behavior"),
        ("max_request_duration = \"10s\"", "max_request_duration"),
        ("telemetry { unauthenticated_metrics_access = true\n prometheus_retention_time = \"1h\" }", "prometheus_retention_time"),
        ("tls_min_version = \"ssl3\"", "tls_min_version"),
        ("tls_cipher_suites = \"TLS_NOT_A_SUITE\"", "tls_cipher_suites"),
        ("tls_min_version = \"tls13\"\n tls_max_version = \"tls12\"", "tls_max_version"),
        ("tls_require_and_verify_client_cert = true\n tls_disable_client_certs = true", "mutually exclusive"),
    ])
    func listenerKeysThatWouldNotHoldAreRefused(_ extra: String, _ named: String) {
        let message = refusal(listener(extra))
        #expect(message?.contains(named) == true, "\(message ?? "accepted")")
    }

    @Test func tlsKeysOnAPlainListenerAreRefused() {
        let message = refusal("listener \"tcp\" {\n tls_disable = true\n tls_client_ca_file = \"/ca.pem\"\n}")
        #expect(message?.contains("tls_client_ca_file") == true)
    }

    @Test(arguments: [
        ("plugin_directory = \"/p\"", "plugin_directory"),
        ("ha_storage \"consul\" {}", "ha_storage"),
        ("log_format = \"xml\"", "log_format"),
        ("storage \"raft\" {\n path = \"/d\"\n retry_join = \"x\"\n}", "retry_join"),
        ("storage \"sqlite\" {\n path = \"/d\"\n ha_enabled = \"true\"\n}", "ha_enabled"),
        ("storage \"sqlite\" {\n path = \"/d\"\n journal_mode = \"off\"\n}", "journal_mode"),
        ("seal \"static\" {\n current_key_id = \"a\"\n current_key = \"b\"\n previous_key = \"c\"\n}", "previous_key"),
        ("audit \"file\" \"a\" {\n file_path = \"/var/log/a.log\"\n filter = \"x\"\n}", "filter"),
    ])
    func otherStanzasRefuseWhatTheyWouldNotHonour(_ text: String, _ named: String) {
        let message = refusal(text)
        #expect(message?.contains(named) == true, "\(message ?? "accepted")")
    }

    @Test func harmlessSingleNodeKeysAreAcceptedAndNoted() throws {
        let config = try parse("""
        storage "raft" {
          path = "/d"
          node_id = "node1"
        }
        storage "postgresql" {
          connection_url = "postgres://x"
          ha_enabled = "false"
        }
        ui = true
        cluster_addr = "https://127.0.0.1:8201"
        listener "tcp" {
          address = "127.0.0.1:8200"
          cluster_address = "127.0.0.1:8201"
          tls_disable = true
        }
        """)
        // `ui = true` is honoured now (the web UI at /ui/): no note.
        #expect(config.notes.isEmpty && config.ui)
        #expect(config.clusterNotes(haEnabled: false).count == 2)
        #expect(config.clusterNotes(haEnabled: true).isEmpty)
    }

    @Test func apiAuditCreationIsOffUnlessTheConfigSaysSo() throws {
        #expect(try parse("").allowAPIAuditCreation == nil)
        #expect(try parse("unsafe_allow_api_audit_creation = true").allowAPIAuditCreation == true)
        var merged = try parse("unsafe_allow_api_audit_creation = true")
        merged.merge(try parse("ui = false"))
        #expect(merged.allowAPIAuditCreation == true)
        merged.merge(try parse("unsafe_allow_api_audit_creation = false"))
        #expect(merged.allowAPIAuditCreation == false)
    }

    @Test func requiredClientCertificatesBecomeFullChainVerification() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(RandomUUID.string())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = { (arguments: [String]) throws in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
        }
        let cert = directory.appendingPathComponent("c.pem").path, key = directory.appendingPathComponent("k.pem").path
        try run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=t"])
        var listener = ServerConfig.Listener()
        listener.tlsCertFile = cert
        listener.tlsKeyFile = key
        listener.tlsClientCAFile = cert
        listener.tlsRequireAndVerifyClientCert = true
        listener.tlsMinVersion = "tls13"
        let required = try ListenerTLS.configuration(listener)
        #expect(required.certificateVerification == .noHostnameVerification)
        #expect(required.minimumTLSVersion == .tlsv13)
        listener.tlsRequireAndVerifyClientCert = false
        let offered = try ListenerTLS.configuration(listener)
        #expect(offered.certificateVerification == .optionalVerification)
        listener.tlsClientCAFile = ""
        #expect(try ListenerTLS.configuration(listener).certificateVerification == .none)
    }
}

/// The server's flags have two readers: the fast one start-up uses for the usual shapes, and
/// ArgumentParser for the rest. They must mean the same thing (issue 15, point 5).
@Suite struct ServerFlagReadersAgreeTests {
    @Test(arguments: [
        ["-dev"],
        ["-dev", "-dev-root-token-id=root"],
        ["-dev", "-dev-root-token-id", "root", "-dev-listen-address=127.0.0.1:8300"],
        ["-dev-listen-address", "0.0.0.0:8200", "-dev"],
        ["-config=/etc/tresor/a.hcl"],
        ["-config=/etc/tresor/a.hcl", "-config", "/etc/tresor/b.json", "-log-level=debug"],
        ["-log-level", "warn", "-dev"],
        ["--dev", "--log-level=error"],
        ["-config", "relative.hcl", "-dev"],
    ])
    func fastAndFullReadersAgree(_ raw: [String]) throws {
        let arguments = normalizedArguments(raw)
        let fast = try #require(ServerOptions.parseKnownFlags(arguments), "the fast reader should take \(raw)")
        let full = try ServerCommand.parse(arguments).options
        #expect(fast == full)
    }

    @Test(arguments: [["-dev", "-dev"], ["-log-level=info", "-log-level=debug"], ["-dev", "-bogus"], ["-help"], ["-dev-root-token-id", "-dev"]])
    func unusualShapesAreLeftToArgumentParser(_ raw: [String]) {
        #expect(ServerOptions.parseKnownFlags(normalizedArguments(raw)) == nil)
    }
}

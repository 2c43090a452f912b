import Testing
@testable import TresorAgent

/// The agent's configuration parser: Vault Agent's keys honoured, everything else refused with
/// the file and line, hostile input refused cleanly.
@Suite struct AgentConfigTests {
    func parse(_ text: String) throws -> AgentConfig {
        let (config, _) = try AgentConfigLoader.parse(text, file: "agent.hcl")
        try AgentConfigLoader.validate(config, file: "agent.hcl")
        return config
    }

    @Test func readsVaultAgentsStanzas() throws {
        let config = try parse("""
            pid_file = "/tmp/pid"
            exit_after_auth = true
            vault {
              address = "https://vault:8200"
              ca_cert = "/ca.pem"
              retry { num_retries = 3 }
            }
            auto_auth {
              method "kubernetes" {
                mount_path = "auth/k8s"
                config = {
                  role = "app"
                }
              }
              sink "file" {
                config = {
                  path = "/home/vault/.vault-token"
                  mode = 0600
                }
              }
            }
            template_config {
              static_secret_render_interval = "2m"
              exit_on_retry_failure = true
            }
            template {
              destination = "/vault/secrets/config"
              contents = "{{ with secret \\"secret/data/app\\" }}{{ .Data.data.x }}{{ end }}"
              perms = "0640"
              command = "kill -HUP 1"
              wait { min = "2s" }
            }
            """)
        #expect(config.vault.address == "https://vault:8200" && config.vault.numRetries == 3)
        #expect(config.methods.first?.type == "kubernetes" && config.methods.first?.mountPath == "auth/k8s")
        #expect(config.methods.first?.config["role"] == "app")
        #expect(config.sinks.first?.mode == 0o600)
        #expect(config.templateConfig.staticSecretRenderInterval == .seconds(120))
        #expect(config.templates.first?.perms == 0o640)
        #expect(config.templates.first?.command == ["/bin/sh", "-c", "kill -HUP 1"])
        #expect(config.templates.first?.waitMin == .seconds(2))
        #expect(config.exitAfterAuth)
    }

    @Test func defaultsAreVaultAgents() throws {
        let config = try parse("""
            auto_auth {
              method "approle" {
                config = { role_id_file_path = "/r" }
              }
              sink "file" { config = { path = "/t" } }
            }
            """)
        #expect(config.methods.first?.mountPath == "auth/approle")
        #expect(config.sinks.first?.mode == 0o640)
        #expect(config.vault.numRetries == 12)
        #expect(config.templateConfig.staticSecretRenderInterval == .seconds(300))
    }

    @Test(arguments: [
        ("bogus = 1", "line 1", "unknown key \"bogus\""),
        ("vault {\n  adress = \"x\"\n}", "line 2", "vault: unknown key \"adress\""),
        ("auto_auth {\n  method \"jwt\" {\n    config = { path = \"/x\" }\n  }\n}", "line 2", "jwt"),
        ("auto_auth {\n  method \"ldap\" {}\n}", "line 2", "not supported"),
        ("auto_auth {\n  method \"approle\" {\n    config = { role_id_file_path = \"/r\", secret = \"x\" }\n  }\n}", "line", "unknown config key \"secret\""),
        ("template {\n  destination = \"/x\"\n}", "line 1", "exactly one of source and contents"),
        ("template {\n  contents = \"x\"\n  destination = \"/x\"\n  sandbox_path = \"/\"\n}", "line 4", "sandbox_path"),
        ("template_config {\n  static_secret_render_interval = \"soon\"\n}", "line 2", "invalid duration"),
        ("cache {\n  persist = {}\n}", "line 2", "cache"),
        ("listener \"tcp\" {\n  address = \"127.0.0.1:8100\"\n}", "line 1", "tls_cert_file"),
        ("exec {\n  command = [\"/bin/app\"]\n  restart_on_secret_changes = \"sometimes\"\n}", "line 3", "always"),
        ("env_template \"X\" {\n  contents = \"x\"\n}", "", "env_template requires an exec stanza"),
        ("vault {\n  address = \"x\"\n\ntemplate {\n", "line", ""),
        ("auto_auth {\n  sink \"file\" {\n    config = { path = \"/t\", mode = 99999 }\n  }\n}", "line 3", "file mode"),
        ("auto_auth {\n  sink \"file\" {\n    wrap_ttl = \"soon\"\n    config = { path = \"/t\" }\n  }\n}", "line 3", "invalid duration"),
        ("auto_auth {\n  method \"approle\" {\n    wrap_ttl = \"5m\"\n  }\n}", "line 3", "wrap_ttl"),
        ("vault {\n  namespace = \"team-a\"\n}", "line 2", "namespaces"),
        ("template_config {\n  lease_renewal_threshold = 1.5\n}", "line 2", "lease_renewal_threshold"),
    ])
    func mistakesNameTheLine(_ text: String, _ line: String, _ words: String) {
        do {
            _ = try parse(text)
            Issue.record("accepted: \(text)")
        } catch {
            let message = "\(error)"
            #expect(message.contains("agent.hcl"), "\(message)")
            #expect(line.isEmpty || message.contains(line), "\(message)")
            #expect(words.isEmpty || message.contains(words), "\(message)")
        }
    }

    @Test func hostileInputIsRefusedCleanly() {
        let hostile = [
            String(repeating: "{", count: 10_000),
            "template {" + String(repeating: "\"", count: 5000),
            "vault { address = \"\u{0}\" }\nauto_auth { method \"token_file\" { config = { token_file_path = [[[[1]]]] } } }",
            "template { contents = 12 destination = {} }",
            "exit_after_auth = \"maybe\"",
            "vault { retry { num_retries = 1e300 } }",
        ]
        for text in hostile {
            #expect(throws: (any Error).self) { _ = try parse(text) }
        }
    }

    /// `lease_renewal_threshold` sets when leased secrets and certificates are acted on; out of
    /// (0, 1) it is refused.
    @Test func leaseRenewalThreshold() throws {
        let config = try parse("template_config {\n  lease_renewal_threshold = 0.9\n}\n")
        #expect(config.templateConfig.leaseRenewalThreshold == 0.9)
        let client = try AgentClient(AgentConfig.Vault(), environment: ["VAULT_ADDR": "http://127.0.0.1:1"])
        let fetcher = SecretFetcher(client: client, settings: config.templateConfig)
        for _ in 0..<20 {
            let due = fetcher.renewAt(100)
            #expect(due >= .milliseconds(85_500) && due <= .seconds(90))
        }
        let unset = SecretFetcher(client: client, settings: AgentConfig.TemplateConfig())
        #expect(unset.renewAt(100) >= .seconds(60) && unset.renewAt(100) <= .seconds(70))
        for bad in ["1.5", "0", "\"soon\"", "-0.2", "1"] {
            #expect(throws: (any Error).self) { try parse("template_config {\n  lease_renewal_threshold = \(bad)\n}\n") }
        }
    }

    /// VAULT_MAX_RETRIES applies only where the configuration has no retry stanza.
    @Test func clientEnvironment() throws {
        var vault = AgentConfig.Vault()
        #expect(try vault.applyingEnvironment(["VAULT_MAX_RETRIES": "2", "VAULT_CLIENT_TIMEOUT": "5s"]).numRetries == 2)
        #expect(try vault.applyingEnvironment(["VAULT_CLIENT_TIMEOUT": "5s"]).clientTimeout == .seconds(5))
        vault.retriesConfigured = true
        vault.numRetries = 7
        #expect(try vault.applyingEnvironment(["VAULT_MAX_RETRIES": "2"]).numRetries == 7)
        #expect(throws: (any Error).self) { try AgentConfig.Vault().applyingEnvironment(["VAULT_CLIENT_TIMEOUT": "-3s"]) }
    }

    @Test func durationsReadAsGoAndVaultWriteThem() {
        #expect(GoDuration.parse("1h30m") == .seconds(5400))
        #expect(GoDuration.parse("250ms") == .milliseconds(250))
        #expect(GoDuration.parse("90") == .seconds(90))
        #expect(GoDuration.parse("1.5s") == .milliseconds(1500))
        for bad in ["", "-1s", "5 minutes", "1y", "1e400", String(repeating: "9", count: 100)] {
            #expect(GoDuration.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func runReferencesParse() {
        #expect(Run.Reference("DB_PASS=database/creds/app#password") == Run.Reference("DB_PASS=/database/creds/app/#password"))
        #expect(Run.Reference("DB_PASS=database/creds/app#password")?.path == "database/creds/app")
        for bad in ["nohash=path", "=p#k", "X=#k", "X=p#", "A-B=p#k", "justtext"] {
            #expect(Run.Reference(bad) == nil, "\(bad)")
        }
    }
}

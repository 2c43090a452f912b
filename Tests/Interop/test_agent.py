"""`tresor agent` against a Tresor dev server, side by side with `bao agent` on the same config:
auto-auth (AppRole, Kubernetes through the TokenReview double, token file), sinks, templates
rendered byte for byte as OpenBao's agent renders them, re-rendering, exec and exit codes."""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from agent_helpers import approle, approle_stanza, run_once, start, stop, wait_for
from conftest import BAO_BIN, TRESOR_BIN

POLICY = '''
path "secret/*" { capabilities = ["read", "list"] }
path "kv1/*" { capabilities = ["read", "list"] }
'''

SEED = '''{{- with secret "secret/data/app" -}}
DATABASE_URL=postgresql://{{ .Data.data.user }}:{{ .Data.data.pass }}@db:5432/app
{{ end -}}
{{ with secret "secret/data/app" -}}
API_KEY={{ .Data.data.api_key }}
{{- end }}
'''

TEMPLATES = {
    "seed": SEED,
    "missing": '{{ with secret "secret/data/app" }}[{{ .Data.data.nope }}]{{ end }}',
    "numbers": '{{ with secret "secret/data/typed" }}{{ .Data.data.i }} {{ .Data.data.f }} {{ .Data.data.b }} {{ .Data.data.obj }}'
               ' {{ .Data.metadata.version }}{{ end }}',
    "json": '{{ with secret "secret/data/typed" }}{{ .Data.data | toJSON }}\n{{ .Data.data | toJSONPretty }}{{ end }}',
    "functions": '''{{ printf "%s-%d" "a" 3 }} {{ "hello" | base64Encode }} {{ "aGVsbG8=" | base64Decode }}
{{ range split "," "a,b,c" }}<{{ . }}>{{ end }} {{ "  x  " | trimSpace }} {{ "a.b.c" | replaceAll "." "-" }}
{{ with secret "secret/data/app" }}{{ index .Data.data "api_key" }} {{ .Data.data.user | toUpper }} {{ len .Data.data }}{{ end }}
{{ if "foobar" | contains "oba" }}yes{{ end }} {{ range $k, $v := (secret "secret/data/app").Data.data }}{{ $k }}={{ $v }};{{ end }}
{{ range secrets "secret/metadata/" }}{{ . }} {{ end }}''',
    "kv1": '{{ with secret "kv1/legacy" }}{{ .Data.key }}{{ end }}',
    "env": '{{ env "AGENT_TEST_VALUE" }}',
    # consul-template finds KV v2 mounts and reads secret/data/app for secret/app.
    "kv2-shorthand": '{{ with secret "secret/app" }}{{ .Data.data.api_key }}{{ end }}',
    "nested": '{{ with secret "secret/data/app" }}{{ with secret (printf "secret/data/%s" .Data.data.user) }}{{ .Data.data.v }}{{ end }}{{ end }}',
}


@pytest.fixture(scope="module")
def seeded(tresor):
    server = tresor
    assert server.bao("policy", "write", "agent-read", "-", stdin=POLICY).returncode == 0
    server.client().secrets.kv.v2.create_or_update_secret(path="app", secret={"user": "app-user", "pass": "s3cr3t", "api_key": "KEY123"})
    server.client().secrets.kv.v2.create_or_update_secret(path="app-user", secret={"v": "nested-read"})
    typed = server.http("POST", "secret/data/typed", json={"data": {"i": 5, "f": 1.5, "b": True, "obj": {"a": 1, "z": "<&>"}}})
    assert typed.status_code == 200, typed.text
    assert server.bao("secrets", "enable", "-path=kv1", "kv").returncode == 0
    assert server.bao("kv", "put", "kv1/legacy", "key=old-style").returncode == 0
    return server


def config_for(directory: Path, role_id, secret_id, templates: dict, extra=""):
    text = f'vault {{ address = "ADDRESS" }}\nexit_after_auth = true\n' + approle_stanza(role_id, secret_id, directory / "token") + extra
    for name, contents in templates.items():
        (directory / f"{name}.ctmpl").write_text(contents)
        text += f'template {{\n  source = "{directory / (name + ".ctmpl")}"\n  destination = "{directory / "out" / name}"\n}}\n'
    return text


def render_with(binary, server, directory: Path, templates, extra=""):
    directory.mkdir(parents=True, exist_ok=True)
    role_id, secret_id = approle(server, "agent-" + directory.name.replace("_", "-"), directory=directory)
    config = directory / "agent.hcl"
    config.write_text(config_for(directory, role_id, secret_id, templates, extra).replace("ADDRESS", server.addr))
    code, output, elapsed = run_once(binary, config, server, extra_env={"AGENT_TEST_VALUE": "from-env"})
    return code, output, elapsed


def test_templates_render_byte_for_byte_as_bao_agent_renders_them(seeded, tmp_path):
    ours = render_with(TRESOR_BIN, seeded, tmp_path / "tresor", TEMPLATES)
    theirs = render_with(BAO_BIN, seeded, tmp_path / "bao", TEMPLATES)
    assert ours[0] == 0, ours[1]
    assert theirs[0] == 0, theirs[1]
    for name in TEMPLATES:
        mine = (tmp_path / "tresor" / "out" / name).read_bytes()
        reference = (tmp_path / "bao" / "out" / name).read_bytes()
        assert mine == reference, f"{name}: {mine!r} != {reference!r}"
        assert oct((tmp_path / "tresor" / "out" / name).stat().st_mode & 0o777) == oct((tmp_path / "bao" / "out" / name).stat().st_mode & 0o777)
    assert (tmp_path / "tresor" / "out" / "seed").read_text() == "DATABASE_URL=postgresql://app-user:s3cr3t@db:5432/app\nAPI_KEY=KEY123\n"
    # The sink holds a working token, alone, with the same mode as bao's.
    token = (tmp_path / "tresor" / "token").read_text()
    assert seeded.http("GET", "auth/token/lookup-self", token=token).status_code == 200
    assert (tmp_path / "tresor" / "token").stat().st_mode & 0o777 == (tmp_path / "bao" / "token").stat().st_mode & 0o777


def test_perms_and_a_missing_key_that_must_not_be(seeded, tmp_path):
    extra = '''
template {
  contents    = "{{ with secret \\"secret/data/app\\" }}{{ .Data.data.user }}{{ end }}"
  destination = "DIR/out/private"
  perms       = 0600
}
'''.replace("DIR", str(tmp_path / "tresor"))
    code, output, _ = render_with(TRESOR_BIN, seeded, tmp_path / "tresor", {}, extra)
    assert code == 0, output
    private = tmp_path / "tresor" / "out" / "private"
    assert private.read_text() == "app-user" and private.stat().st_mode & 0o777 == 0o600
    strict = '''
template {
  contents             = "{{ with secret \\"secret/data/app\\" }}{{ .Data.data.nope }}{{ end }}"
  destination          = "DIR/out/strict"
  error_on_missing_key = true
}
vault { retry { num_retries = 1 } }
'''.replace("DIR", str(tmp_path / "strict"))
    code, output, _ = render_with(TRESOR_BIN, seeded, tmp_path / "strict", {}, strict)
    assert code != 0
    assert 'map has no entry for key "nope"' in output


def test_config_and_template_errors_name_the_place_and_start_nothing(seeded, tmp_path):
    bad = tmp_path / "bad.hcl"
    bad.write_text('vault {\n  address = "http://127.0.0.1:1"\n}\nexit_after_auth = true\nbogus_key = 1\n')
    code, output, _ = run_once(TRESOR_BIN, bad, seeded)
    assert code == 1 and str(bad) in output and "line 5" in output and "bogus_key" in output
    syntax = tmp_path / "syntax.hcl"
    syntax.write_text('vault {\n  address = "x"\n\ntemplate {\n')
    code, output, _ = run_once(TRESOR_BIN, syntax, seeded)
    assert code == 1 and str(syntax) in output and "line" in output
    template = tmp_path / "broken.ctmpl"
    template.write_text('line one\n{{ with secret "secret/data/app" }}\n{{ .Data | nosuchfunc }}\n{{ end }}\n')
    config = tmp_path / "tmpl.hcl"
    config.write_text(f'exit_after_auth = true\nauto_auth {{\n  method "token_file" {{\n    config = {{ token_file_path = "{tmp_path / "t"}" }}\n  }}\n}}\n'
                      f'template {{\n  source = "{template}"\n  destination = "{tmp_path / "never"}"\n}}\n')
    code, output, _ = run_once(TRESOR_BIN, config, seeded)
    assert code == 1 and f"{template}:3" in output and 'function "nosuchfunc" not defined' in output
    assert not (tmp_path / "never").exists()
    jwt = tmp_path / "jwt.hcl"
    jwt.write_text('auto_auth {\n  method "jwt" {\n    config = { path = "/x", role = "r" }\n  }\n}\n')
    code, output, _ = run_once(TRESOR_BIN, jwt, seeded)
    assert code == 1 and "jwt" in output and "line 2" in output


def test_wrong_role_exits_non_zero_within_the_retry_budget(seeded, tmp_path):
    role_id, secret_id = approle(seeded, "agent-wrong", directory=tmp_path)
    role_id.write_text("not-a-role-id\n")
    config = tmp_path / "agent.hcl"
    config.write_text(f'vault {{\n  address = "{seeded.addr}"\n  retry {{ num_retries = 2 }}\n}}\nexit_after_auth = true\n'
                      + approle_stanza(role_id, secret_id, tmp_path / "token"))
    code, output, elapsed = run_once(TRESOR_BIN, config, seeded, timeout=60)
    assert code != 0
    assert "invalid role" in output.lower() or "role id" in output.lower(), output
    assert elapsed < 30
    assert not (tmp_path / "token").exists()


def test_token_file_method_and_an_environment_token(seeded, tmp_path):
    token = seeded.client().auth.token.create(policies=["agent-read"], ttl="1h")["auth"]["client_token"]
    (tmp_path / "token-in").write_text(token + "\n")
    config = tmp_path / "agent.hcl"
    config.write_text(f'exit_after_auth = true\nauto_auth {{\n  method "token_file" {{\n    config = {{ token_file_path = "{tmp_path / "token-in"}" }}\n  }}\n}}\n'
                      f'template {{\n  contents = "{{{{ with secret \\"secret/data/app\\" }}}}{{{{ .Data.data.api_key }}}}{{{{ end }}}}"\n'
                      f'  destination = "{tmp_path / "out"}"\n}}\n')
    code, output, _ = run_once(TRESOR_BIN, config, seeded)
    assert code == 0, output
    assert (tmp_path / "out").read_text() == "KEY123"


def test_kubernetes_auto_auth_through_the_token_review_double(seeded, tmp_path):
    from k8s_double import KubernetesDouble
    from production import make_tls
    from test_auth_kubernetes import configure
    double = KubernetesDouble(make_tls(tmp_path))
    try:
        double.create_account("default", "myapp-sa")
        double.create_account("default", "vault-auth")
        configure(seeded, double)
        jwt = tmp_path / "sa-token"
        jwt.write_text(double.token("default", "myapp-sa"))
        config = tmp_path / "agent.hcl"
        config.write_text(f'''exit_after_auth = true
auto_auth {{
  method "kubernetes" {{
    mount_path = "auth/kubernetes"
    config = {{
      role       = "myapp-role"
      token_path = "{jwt}"
    }}
  }}
  sink "file" {{ config = {{ path = "{tmp_path / "token"}" }} }}
}}
template {{
  contents    = "{{{{ with secret \\"secret/data/myapp\\" }}}}{{{{ .Data.data.password }}}}{{{{ end }}}}"
  destination = "{tmp_path / "config"}"
}}
''')
        code, output, _ = run_once(TRESOR_BIN, config, seeded)
        assert code == 0, output
        assert (tmp_path / "config").read_text() == "k8s-secret"
        looked = seeded.http("GET", "auth/token/lookup-self", token=(tmp_path / "token").read_text()).json()["data"]
        assert looked["meta"]["service_account_name"] == "myapp-sa"
    finally:
        double.stop()


def test_kv_update_is_rendered_again_and_the_command_runs(seeded, tmp_path):
    role_id, secret_id = approle(seeded, "agent-live", directory=tmp_path)
    seeded.client().secrets.kv.v2.create_or_update_secret(path="live", secret={"v": "one"})
    config = tmp_path / "agent.hcl"
    config.write_text(f'vault {{ address = "{seeded.addr}" }}\n' + approle_stanza(role_id, secret_id, tmp_path / "token") + f'''
template_config {{ static_secret_render_interval = "1s" }}
template {{
  contents    = "v={{{{ with secret \\"secret/data/live\\" }}}}{{{{ .Data.data.v }}}}{{{{ end }}}}"
  destination = "{tmp_path / "live"}"
  command     = "echo ran >> {tmp_path / "commands"}"
}}
''')
    proc = start(TRESOR_BIN, config, seeded, tmp_path / "agent.log")
    try:
        assert wait_for(lambda: (tmp_path / "live").exists() and (tmp_path / "live").read_text() == "v=one", 15), (tmp_path / "agent.log").read_text()
        inode = (tmp_path / "live").stat().st_ino
        time.sleep(2.5)
        # Unchanged content is not written again.
        assert (tmp_path / "live").stat().st_ino == inode
        seeded.client().secrets.kv.v2.create_or_update_secret(path="live", secret={"v": "two"})
        assert wait_for(lambda: (tmp_path / "live").read_text() == "v=two", 10), (tmp_path / "agent.log").read_text()
        assert wait_for(lambda: (tmp_path / "commands").exists() and (tmp_path / "commands").read_text().count("ran") == 2, 5)
    finally:
        stop(proc)


def test_sink_always_holds_a_valid_token(seeded, tmp_path):
    role_id, secret_id = approle(seeded, "agent-short", ttl="6s", max_ttl="60s", directory=tmp_path)
    config = tmp_path / "agent.hcl"
    config.write_text(f'vault {{ address = "{seeded.addr}" }}\n' + approle_stanza(role_id, secret_id, tmp_path / "token"))
    proc = start(TRESOR_BIN, config, seeded, tmp_path / "agent.log")
    try:
        assert wait_for(lambda: (tmp_path / "token").exists(), 10)
        first = (tmp_path / "token").read_text()
        deadline = time.time() + 20
        while time.time() < deadline:
            token = (tmp_path / "token").read_text()
            looked = seeded.http("GET", "auth/token/lookup-self", token=token)
            assert looked.status_code == 200, (looked.text, (tmp_path / "agent.log").read_text())
            assert looked.json()["data"]["ttl"] > 0
            time.sleep(0.5)
        # Renewed rather than replaced while its max TTL allows.
        assert (tmp_path / "token").read_text() == first
    finally:
        stop(proc)


def test_exec_child_sees_secrets_and_is_restarted_on_change(seeded, tmp_path):
    role_id, secret_id = approle(seeded, "agent-exec", directory=tmp_path)
    seeded.client().secrets.kv.v2.create_or_update_secret(path="exec", secret={"password": "first"})
    script = tmp_path / "child.sh"
    script.write_text(f'#!/bin/sh\necho "start $DB_PASSWORD" >> {tmp_path / "child.log"}\n'
                      f'trap \'echo "term $DB_PASSWORD" >> {tmp_path / "child.log"}; exit 0\' TERM\nwhile true; do sleep 0.1; done\n')
    script.chmod(0o755)
    config = tmp_path / "agent.hcl"
    config.write_text(f'vault {{ address = "{seeded.addr}" }}\n' + approle_stanza(role_id, secret_id, tmp_path / "token") + f'''
template_config {{ static_secret_render_interval = "1s" }}
env_template "DB_PASSWORD" {{
  contents = "{{{{ with secret \\"secret/data/exec\\" }}}}{{{{ .Data.data.password }}}}{{{{ end }}}}"
}}
exec {{
  command                   = ["{script}"]
  restart_on_secret_changes = "always"
  restart_stop_signal       = "SIGTERM"
}}
''')
    proc = start(TRESOR_BIN, config, seeded, tmp_path / "agent.log")
    log = tmp_path / "child.log"
    try:
        assert wait_for(lambda: log.exists() and "start first" in log.read_text(), 15), (tmp_path / "agent.log").read_text()
        seeded.client().secrets.kv.v2.create_or_update_secret(path="exec", secret={"password": "second"})
        assert wait_for(lambda: "start second" in log.read_text(), 10), (tmp_path / "agent.log").read_text()
        assert "term first" in log.read_text()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        assert "term second" in log.read_text()
        assert proc.returncode == 0
    finally:
        stop(proc)


def test_json_configs_merge_and_pki_certificates_render(seeded, tmp_path):
    """Two -config files, one of them JSON, merge; pkiCert gives a certificate openssl accepts."""
    server = seeded
    assert server.bao("secrets", "enable", "pki").returncode == 0
    assert server.bao("write", "pki/root/generate/internal", "common_name=agent-root", "ttl=24h").returncode == 0
    assert server.bao("write", "pki/roles/web", "allowed_domains=example.com", "allow_subdomains=true", "max_ttl=1h").returncode == 0
    assert server.bao("policy", "write", "agent-pki", "-", stdin='path "pki/issue/web" { capabilities = ["update"] }').returncode == 0
    role_id, secret_id = approle(server, "agent-pki", policies="agent-pki", directory=tmp_path)
    first = tmp_path / "auth.hcl"
    first.write_text(f'vault {{ address = "{server.addr}" }}\nexit_after_auth = true\n' + approle_stanza(role_id, secret_id, tmp_path / "token"))
    second = tmp_path / "templates.json"
    second.write_text(json.dumps({"template": [
        {"destination": str(tmp_path / "cert.pem"), "perms": "0600",
         "contents": '{{ with pkiCert "pki/issue/web" "common_name=app.example.com" "ttl=10m" }}{{ .Cert }}{{ end }}'},
        {"destination": str(tmp_path / "key.pem"), "perms": "0600",
         "contents": '{{ with pkiCert "pki/issue/web" "common_name=app.example.com" "ttl=10m" }}{{ .Key }}{{ end }}'},
        {"destination": str(tmp_path / "ca.pem"),
         "contents": '{{ with secret "pki/issue/web" "common_name=ca.example.com" }}{{ .Data.issuing_ca }}{{ end }}'},
    ]}))
    out = subprocess.run([TRESOR_BIN, "agent", f"-config={first}", f"-config={second}"], capture_output=True, text=True,
                         env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)}, timeout=60)
    assert out.returncode == 0, out.stderr
    verify = subprocess.run(["openssl", "verify", "-CAfile", str(tmp_path / "ca.pem"), str(tmp_path / "cert.pem")], capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    subject = subprocess.run(["openssl", "x509", "-noout", "-subject", "-in", str(tmp_path / "cert.pem")], capture_output=True, text=True).stdout
    assert "app.example.com" in subject
    # The key belongs to the certificate: one pkiCert served both files.
    cert_key = subprocess.run(["openssl", "x509", "-noout", "-pubkey", "-in", str(tmp_path / "cert.pem")], capture_output=True, text=True).stdout
    key_pub = subprocess.run(["openssl", "pkey", "-pubout", "-in", str(tmp_path / "key.pem")], capture_output=True, text=True).stdout
    assert cert_key == key_pub and cert_key
    assert (tmp_path / "key.pem").stat().st_mode & 0o777 == 0o600


def test_api_proxy_adds_the_auto_auth_token(seeded, tmp_path):
    from conftest import free_port
    role_id, secret_id = approle(seeded, "agent-proxy", directory=tmp_path)
    port = free_port()
    socket_path = tmp_path / "agent.sock"
    config = tmp_path / "agent.hcl"
    config.write_text(f'vault {{ address = "{seeded.addr}" }}\n' + approle_stanza(role_id, secret_id, tmp_path / "token") + f'''
api_proxy {{ use_auto_auth_token = true }}
listener "tcp" {{
  address     = "127.0.0.1:{port}"
  tls_disable = true
}}
listener "unix" {{
  address     = "{socket_path}"
  socket_mode = "0600"
}}
''')
    proc = start(TRESOR_BIN, config, seeded, tmp_path / "agent.log")
    try:
        import requests
        proxy = f"http://127.0.0.1:{port}"
        assert wait_for(lambda: (tmp_path / "token").exists(), 15), (tmp_path / "agent.log").read_text()

        def reachable():
            try:
                return requests.get(proxy + "/v1/sys/health", timeout=1).status_code == 200
            except requests.RequestException:
                return False
        assert wait_for(reachable, 10)
        # No token of its own: the agent's token is used, with its policy.
        read = requests.get(proxy + "/v1/secret/data/app", timeout=5)
        assert read.status_code == 200 and read.json()["data"]["data"]["api_key"] == "KEY123"
        assert requests.post(proxy + "/v1/secret/data/app", json={"data": {"x": 1}}, timeout=5).status_code == 403
        # The bao CLI through the proxy, LIST included.
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "VAULT_ADDR": proxy}
        listed = subprocess.run([BAO_BIN, "kv", "list", "secret/"], capture_output=True, text=True, env=env, timeout=30)
        assert listed.returncode == 0 and "app" in listed.stdout, listed.stderr
        # A request with its own token keeps it.
        own = requests.get(proxy + "/v1/auth/token/lookup-self", headers={"X-Vault-Token": seeded.token}, timeout=5)
        assert own.json()["data"]["policies"] == ["root"]
        assert socket_path.stat().st_mode & 0o777 == 0o600
        over_socket = subprocess.run(["curl", "-s", "--unix-socket", str(socket_path), "http://agent/v1/secret/data/app"],
                                     capture_output=True, text=True, timeout=30)
        assert json.loads(over_socket.stdout)["data"]["data"]["api_key"] == "KEY123"
    finally:
        stop(proc)


def test_a_sink_with_wrap_ttl_gets_a_wrapped_token_as_bao_agent_writes_it(seeded, tmp_path):
    """Both agents write the sink as the wrap_info JSON; unwrapping it once gives the token."""
    for binary in (TRESOR_BIN, BAO_BIN):
        directory = tmp_path / Path(binary).name
        directory.mkdir()
        role_id, secret_id = approle(seeded, "agent-wrapped", directory=directory)
        sink = directory / "wrapped-token"
        config = directory / "agent.hcl"
        stanza = approle_stanza(role_id, secret_id, directory / "token")
        # A second sink in the same auto_auth block, wrapped.
        stanza = stanza.rstrip().removesuffix("}") + f'  sink "file" {{\n    wrap_ttl = "5m"\n    config = {{ path = "{sink}" }}\n  }}\n}}\n'
        config.write_text(f'vault {{ address = "{seeded.addr}" }}\nexit_after_auth = true\n' + stanza)
        code, output, _ = run_once(binary, config, seeded)
        assert code == 0, output
        info = json.loads(sink.read_text())
        assert list(info) == ["token", "accessor", "ttl", "creation_time", "creation_path", "wrapped_accessor"], info
        assert info["ttl"] == 300 and info["creation_path"] == "sys/wrapping/wrap"
        unwrapped = seeded.http("POST", "sys/wrapping/unwrap", json={"token": info["token"]}).json()["data"]["token"]
        assert unwrapped == (directory / "token").read_text()
        assert seeded.http("POST", "sys/wrapping/unwrap", json={"token": info["token"]}).status_code == 400


@pytest.mark.parametrize("binary", [TRESOR_BIN, BAO_BIN], ids=["tresor", "bao"])
def test_quit_endpoint_stops_the_agent_only_where_enabled(seeded, tmp_path, binary):
    """`agent_api { enable_quit = true }`, as vault-k8s's agent-enable-quit writes it: POST
    /agent/v1/quit on that listener ends the agent with status 0; the same request on a
    listener without it goes to the server like any other request."""
    import requests
    from conftest import free_port
    role_id, secret_id = approle(seeded, "agent-quit", directory=tmp_path)
    quitting, plain = free_port(), free_port()
    config = tmp_path / "agent.hcl"
    config.write_text(f'vault {{ address = "{seeded.addr}" }}\n' + approle_stanza(role_id, secret_id, tmp_path / "token") + f'''
cache {{}}
listener "tcp" {{
  address     = "127.0.0.1:{quitting}"
  tls_disable = true
  agent_api {{
    enable_quit = true
  }}
}}
listener "tcp" {{
  address     = "127.0.0.1:{plain}"
  tls_disable = true
}}
''')
    proc = start(binary, config, seeded, tmp_path / "agent.log")
    try:
        def reachable():
            try:
                return requests.get(f"http://127.0.0.1:{quitting}/v1/sys/health", timeout=1).status_code == 200
            except requests.RequestException:
                return False
        assert wait_for(reachable, 15), (tmp_path / "agent.log").read_text()
        # Not enabled here: the request is the server's to answer, and the agent keeps running.
        assert requests.post(f"http://127.0.0.1:{plain}/agent/v1/quit", timeout=5).status_code in (404, 405)
        assert proc.poll() is None
        assert requests.post(f"http://127.0.0.1:{quitting}/agent/v1/quit", timeout=5).status_code == 200
        assert proc.wait(timeout=15) == 0
    finally:
        stop(proc)


def test_client_environment_sets_retries_and_timeout(seeded, tmp_path):
    """VAULT_MAX_RETRIES and VAULT_CLIENT_TIMEOUT, as Vault's client reads them (the injector's
    client-max-retries and client-timeout annotations set them); a bad value stops the agent."""
    from conftest import free_port
    role_id, secret_id = approle(seeded, "agent-env", directory=tmp_path)
    config = tmp_path / "agent.hcl"
    # A server that is not there: the HTTP client keeps trying to connect until the request's
    # timeout, and the agent retries the login; with no retries and a 1 s timeout it gives up fast.
    config.write_text(f'vault {{ address = "http://127.0.0.1:{free_port()}" }}\nexit_after_auth = true\n'
                      + approle_stanza(role_id, secret_id, tmp_path / "token"))
    code, output, elapsed = run_once(TRESOR_BIN, config, seeded, timeout=60,
                                     extra_env={"VAULT_MAX_RETRIES": "0", "VAULT_CLIENT_TIMEOUT": "1s"})
    assert code != 0 and elapsed < 6, (elapsed, output)
    for name, value in (("VAULT_MAX_RETRIES", "lots"), ("VAULT_CLIENT_TIMEOUT", "soon")):
        code, output, _ = run_once(TRESOR_BIN, config, seeded, timeout=30, extra_env={name: value})
        assert code != 0 and name in output, output

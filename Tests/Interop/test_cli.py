"""The `tresor` CLI against the `bao` CLI: the same scenario, the same stdout and exit codes once
volatile values are masked; against Tresor and against OpenBao."""
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from conftest import BAO_BIN, TRESOR_BIN, start_openbao, start_tresor

POLICY = 'path "secret/data/cli-app" {\n  capabilities = ["read"]\n}\n'

SCENARIO = [
    ["status"],
    ["kv", "put", "secret/cli-app", "user=alice", "pass=one"],
    ["kv", "get", "secret/cli-app"],
    ["kv", "put", "secret/cli-app", "user=alice", "pass=two"],
    ["kv", "get", "-version=1", "secret/cli-app"],
    ["kv", "get", "-field=pass", "secret/cli-app"],
    ["kv", "get", "-format=json", "secret/cli-app"],
    ["kv", "delete", "-versions=2", "secret/cli-app"],
    ["kv", "get", "secret/cli-app"],
    ["kv", "undelete", "-versions=2", "secret/cli-app"],
    ["kv", "destroy", "-versions=2", "secret/cli-app"],
    ["kv", "rollback", "-version=1", "secret/cli-app"],
    ["kv", "metadata", "get", "secret/cli-app"],
    ["kv", "metadata", "put", "-max-versions=5", "secret/cli-app"],
    ["kv", "patch", "secret/cli-app", "extra=x"],
    ["kv", "list", "secret/"],
    ["kv", "get", "secret/missing"],
    ["kv", "put", "secret/other", "k=v"],
    ["kv", "metadata", "delete", "secret/other"],
    ["policy", "write", "cli-policy", "-"],
    ["policy", "list"],
    ["policy", "read", "cli-policy"],
    ["token", "create", "-policy=cli-policy", "-ttl=1h"],
    ["token", "capabilities", "secret/data/cli-app"],
    ["write", "sys/policies/acl/second", "policy=@POLICYFILE"],
    ["read", "sys/policies/acl/second"],
    ["list", "sys/policies/acl"],
    ["delete", "sys/policies/acl/second"],
    ["read", "sys/policies/acl/second"],
    ["secrets", "enable", "-path=kvone", "kv"],
    ["secrets", "list"],
    ["write", "kvone/app", "color=blue"],
    ["read", "kvone/app"],
    ["read", "-format=json", "kvone/app"],
    ["list", "kvone"],
    ["delete", "kvone/app"],
    ["secrets", "disable", "kvone"],
    ["token", "lookup"],
]

MASKS = [
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z"), "<time>"),
    (re.compile(r"\b(hvs|s)\.[A-Za-z0-9]{20,}"), "<token>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
    (re.compile(r"\b[A-Za-z0-9]{24}\b"), "<accessor>"),
    (re.compile(r"\b(kv|system|cubbyhole|identity|token|ns_token|ns_system|ns_cubbyhole|ns_identity)_[0-9a-z]{8}\b"), "<mount-accessor>"),
    (re.compile(r"127\.0\.0\.1:\d+"), "<addr>"),
    (re.compile(r"(tresor|vault)-cluster-[0-9a-z]+"), "<cluster>"),
    (re.compile(r"Version( +)\S+"), r"Version\1<v>"),
    (re.compile(r"Commit Date( +)\S+"), r"Commit Date\1<date>"),
    (re.compile(r"Storage Type( +)\S+"), r"Storage Type\1<storage>"),
    (re.compile(r"\b\d{10}\b"), "<unix>"),
    (re.compile(r"\b\d{1,4}h\d{1,2}m\d{1,2}s\b|\b\d{1,4}h\d{1,2}m\b|\b\d{1,2}m\d{1,2}s\b|\b[0-9]{1,3}h\b|\b\d{1,2}s\b"), "<dur>"),
    (re.compile(r"\bttl( +)\d+"), r"ttl\1<n>"),
]


def mask(text):
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    return text


def run_scenario(cli, server, home):
    policy_file = os.path.join(home, "policy.hcl")
    with open(policy_file, "w") as f:
        f.write(POLICY)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "VAULT_ADDR": server.addr, "VAULT_TOKEN": server.token}
    results = []
    for step in SCENARIO:
        args = [a.replace("@POLICYFILE", "@" + policy_file) for a in step]
        stdin = POLICY if args[:2] == ["policy", "write"] else None
        out = subprocess.run([cli, *args], input=stdin, capture_output=True, text=True, env=env, timeout=60)
        results.append((" ".join(step), out.returncode, mask(out.stdout)))
    return results


def compare(ours, theirs):
    for (step, our_code, our_out), (_, code, out) in zip(ours, theirs):
        assert our_code == code, f"{step}: exit {our_code} != {code}\nours:\n{our_out}\ntheirs:\n{out}"
        assert our_out == out, f"{step}: stdout differs\n--- ours\n{our_out}\n--- bao\n{out}"


def fresh(start):
    home = tempfile.mkdtemp(prefix="cli-home-")
    return start(home), home


@pytest.mark.parametrize("server_kind", ["tresor", "openbao"])
def test_tresor_cli_matches_bao(server_kind):
    start = start_tresor if server_kind == "tresor" else start_openbao
    (a, home_a), (b, home_b) = fresh(start), fresh(start)
    try:
        with_bao = run_scenario(BAO_BIN, a, home_a)
        with_tresor = run_scenario(TRESOR_BIN, b, home_b)
        compare(with_tresor, with_bao)
    finally:
        for server, home in ((a, home_a), (b, home_b)):
            server.stop()
            shutil.rmtree(home, ignore_errors=True)


def test_cli_login_methods(tresor):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": tresor.home, "VAULT_ADDR": tresor.addr, "VAULT_TOKEN": tresor.token}
    run = lambda *a, token=None: subprocess.run([TRESOR_BIN, *a], capture_output=True, text=True, timeout=60,
                                                env=dict(env, VAULT_TOKEN=tresor.token if token is None else token))
    assert run("auth", "enable", "userpass").returncode in (0, 2)
    assert run("write", "auth/userpass/users/dana", "password=pw-dana-123", "token_policies=default").returncode == 0
    login = run("login", "-method=userpass", "username=dana", "password=pw-dana-123", token="")
    assert login.returncode == 0, login.stderr
    assert "Success! You are now authenticated." in login.stdout
    assert re.search(r'token_policies\s+\["default"\]', login.stdout) and re.search(r"token_meta_username\s+dana", login.stdout)
    stored = open(os.path.join(tresor.home, ".vault-token")).read()
    lookup = run("token", "lookup", "-format=json", token="")
    assert lookup.returncode == 0 and stored in lookup.stdout
    only = run("login", "-method=userpass", "-token-only", "username=dana", "password=pw-dana-123", token="")
    assert only.stdout.startswith("hvs.") and "\n" not in only.stdout


def test_cli_bad_input(tresor, tmp_path):
    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "VAULT_ADDR": tresor.addr, "VAULT_TOKEN": tresor.token}

    def run(*args, **env):
        return subprocess.run([TRESOR_BIN, *args], capture_output=True, text=True, timeout=60, env=dict(base, **env))

    def one_clear_line(result, code, text):
        assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
        assert text in result.stderr
        assert "Fatal error" not in result.stderr and "Stack" not in result.stderr

    one_clear_line(run("kv", "get", "secret/x", VAULT_ADDR="http://127.0.0.1:1"), 2, "connection refused")
    one_clear_line(run("status", VAULT_ADDR="http://127.0.0.1:1"), 1, "Error checking seal status")
    one_clear_line(run("read", "secret/data/x", VAULT_TOKEN="hvs.wrong"), 2, "Code: 403")
    one_clear_line(run("write", "secret/data/x", "novalue"), 1, "format must be key=value")
    one_clear_line(run("write", "secret/data/x", "data=@/no/such/file"), 1, "no such file or directory")
    result = run("frobnicate")
    assert result.returncode == 127 and result.stderr.strip() and "Fatal" not in result.stderr
    assert run("kv", "--help").returncode == 0


def test_cli_move_help_and_policy_fmt(tresor, tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "VAULT_ADDR": tresor.addr, "VAULT_TOKEN": tresor.token}

    def both(*args):
        ours = subprocess.run([TRESOR_BIN, *args], capture_output=True, text=True, env=env, timeout=60)
        return ours

    assert both("secrets", "enable", "-path=moving", "kv").returncode == 0
    assert both("write", "moving/a", "x=1").returncode == 0
    moved = both("secrets", "move", "moving/", "moved/")
    assert moved.returncode == 0 and "Success! Finished moving secrets engine moving/ to moved/" in moved.stdout
    assert "x" in both("read", "moved/a").stdout
    assert both("read", "moving/a").returncode == 2
    bao_help = subprocess.run([BAO_BIN, "path-help", "secret/data/x"], capture_output=True, text=True, env=env, timeout=60)
    ours_help = both("path-help", "secret/data/x")
    assert ours_help.returncode == 0 and ours_help.stdout == bao_help.stdout and ours_help.stdout.strip()
    policy = tmp_path / "p.hcl"
    policy.write_text('path "a/*" {\ncapabilities=["read","list"]\n}\n# comment\npath "b" { capabilities = ["deny"] }\n')
    assert both("policy", "fmt", str(policy)).returncode == 0
    assert policy.read_text() == 'path "a/*" {\n  capabilities = ["read", "list"]\n}\n\npath "b" {\n  capabilities = ["deny"]\n}\n'
    policy.write_text('path "a" {')
    bad = both("policy", "fmt", str(policy))
    assert bad.returncode == 1 and "Error parsing policy" in bad.stderr and policy.read_text() == 'path "a" {'

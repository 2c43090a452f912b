"""The exploits a security review found, played over HTTP: each must now fail to get through.

Where Vault's behaviour is the fix, the same test runs against OpenBao (`any_server`) and checks
the two agree. Where Tresor is deliberately stricter than OpenBao (parameter lists, comma lists,
Unicode), the test runs against Tresor alone and says so.
"""
import concurrent.futures
import json
import socket
import ssl
import subprocess
import time
import uuid

import pytest
import requests

from conftest import TRESOR_BIN, free_port, start_tresor
from production import ProductionServer, make_client_cert, make_tls


def unique(prefix):
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def policy(server, name, text):
    r = server.http("PUT", f"sys/policies/acl/{name}", json={"policy": text})
    assert r.status_code == 204, r.text


def token_with(server, *policies, **extra):
    r = server.http("POST", "auth/token/create", json={"policies": list(policies), **extra})
    assert r.status_code == 200, r.text
    return r.json()["auth"]["client_token"]


# 1. An auth method can mint root --------------------------------------------------------------

@pytest.mark.parametrize("policies", ["root", "Root", " root", "default,root", ["default", "root"]])
def test_userpass_login_cannot_mint_root(any_server, policies):
    s = any_server
    mount = unique("up")
    assert s.http("POST", f"sys/auth/{mount}", json={"type": "userpass"}).status_code == 204
    policy(s, "user-admin", f'path "auth/{mount}/users/*" {{ capabilities = ["create", "update"] }}')
    admin = token_with(s, "user-admin")
    # A user manager may write a user with root in its policies (Vault stores it as given)...
    r = s.http("POST", f"auth/{mount}/users/eve", token=admin, json={"password": "pw", "token_policies": policies})
    assert r.status_code == 204, r.text
    # ...but logging in as that user never yields a root token.
    r = s.http("POST", f"auth/{mount}/login/eve", token="", json={"password": "pw"})
    assert r.status_code == 400 and r.json()["errors"] == ["auth methods cannot create root tokens"], (s.name, r.text)


def test_approle_login_cannot_mint_root(any_server):
    s = any_server
    mount = unique("ar")
    assert s.http("POST", f"sys/auth/{mount}", json={"type": "approle"}).status_code == 204
    assert s.http("POST", f"auth/{mount}/role/r", json={"token_policies": ["ROOT"]}).status_code == 204
    role_id = s.http("GET", f"auth/{mount}/role/r/role-id").json()["data"]["role_id"]
    secret_id = s.http("POST", f"auth/{mount}/role/r/secret-id").json()["data"]["secret_id"]
    r = s.http("POST", f"auth/{mount}/login", token="", json={"role_id": role_id, "secret_id": secret_id})
    assert r.status_code == 400 and r.json()["errors"] == ["auth methods cannot create root tokens"], (s.name, r.text)


# 2. denied_parameters / allowed_parameters (Tresor is stricter than OpenBao here) --------------

CREATOR = """
path "auth/token/create" {
  capabilities = ["create", "update"]
  denied_parameters = { "policies" = ["admin"] }
}
"""


@pytest.mark.parametrize("asked", [["dev", "admin"], "dev,admin", "Admin", " ADMIN"])
def test_denied_parameters_cannot_be_bypassed(tresor, asked):
    for name in ("admin", "dev"):
        policy(tresor, name, 'path "nothing/*" { capabilities = ["read"] }')
    policy(tresor, "creator", CREATOR)
    creator = token_with(tresor, "creator", "admin", "dev")
    r = tresor.http("POST", "auth/token/create", token=creator, json={"policies": asked})
    assert r.status_code == 403, r.text
    r = tresor.http("POST", "auth/token/create", token=creator, json={"policies": "dev"})
    assert r.status_code == 200 and r.json()["auth"]["policies"] == ["default", "dev"]


def test_read_query_parameters_are_checked(tresor):
    mount = unique("kvq")
    assert tresor.http("POST", f"sys/mounts/{mount}", json={"type": "kv", "options": {"version": "2"}}).status_code == 204
    tresor.http("POST", f"{mount}/data/app", json={"data": {"v": "1"}})
    tresor.http("POST", f"{mount}/data/app", json={"data": {"v": "2"}})
    policy(tresor, "latest-only", f'path "{mount}/data/*" {{ capabilities = ["read"]\n  allowed_parameters = {{ "version" = ["2"] }} }}')
    reader = token_with(tresor, "latest-only")
    assert tresor.http("GET", f"{mount}/data/app?version=1", token=reader).status_code == 403
    r = tresor.http("GET", f"{mount}/data/app?version=2", token=reader)
    assert r.status_code == 200 and r.json()["data"]["data"] == {"v": "2"}


# 3. A use-limited token creates children ------------------------------------------------------

def test_use_limited_token_cannot_create_children(any_server):
    s = any_server
    policy(s, "token-maker", 'path "auth/token/create*" { capabilities = ["create", "update", "sudo"] }')
    limited = token_with(s, "token-maker", num_uses=5)
    for path in ("auth/token/create", "auth/token/create-orphan"):
        r = s.http("POST", path, token=limited, json={})
        assert r.status_code == 400, (s.name, r.text)
        assert r.json()["errors"] == ["restricted use token cannot generate child tokens"]


# 4. Unauthenticated memory exhaustion through JSON ---------------------------------------------

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def post_raw(addr, path, body, headers=None):
    return requests.post(addr + "/v1/" + path, data=body, headers=headers or {}, timeout=60)


def test_unauthenticated_json_bomb_leaves_memory_bounded(tmp_path):
    server = start_tresor(str(tmp_path))
    try:
        bomb = b"[" + b"0," * (16 * 1024 * 1024 - 2) + b"0]"
        assert len(bomb) < 32 * 1024 * 1024
        before = rss_kib(server.proc.pid)
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: post_raw(server.addr, "secret/data/x", bomb), range(4)))
        assert all(a.status_code == 403 for a in answers), [a.text for a in answers]
        grown = rss_kib(server.proc.pid) - before
        assert grown < 256 * 1024, f"RSS grew by {grown} KiB"
        # An authenticated caller gets the complexity limit, not a parse of 15 million values (each
        # inner list within the element count, so the memory estimate is what stops it).
        inner = b"[" + b"0," * 9999 + b"0]"
        nested = b'{"data":{"x":[' + b",".join([inner] * 1500) + b"]}}"
        r = post_raw(server.addr, "secret/data/x", nested, {"X-Vault-Token": "root"})
        assert r.status_code == 400, r.text
        assert r.json()["errors"] == ["refused JSON input due to high complexity: exceeded maximum estimated memory limits"]
        r = post_raw(server.addr, "secret/data/x", b'{"data":{"x":' + b"[" * 600 + b"]" * 600 + b"}}", {"X-Vault-Token": "root"})
        assert r.json()["errors"] == ["refused JSON input due to high complexity: exceeded maximum nesting depth"]
        assert server.http("GET", "sys/health").status_code == 200
    finally:
        server.stop()


def test_sealed_server_does_not_parse_bodies(tmp_path):
    server = ProductionServer(tmp_path).start()
    try:
        r = server.request("PUT", "secret/data/x", token="whatever", data=b"{" * 1000)
        assert r.status_code == 503
    finally:
        server.stop()


# 5. mTLS and other listener keys are honoured, or refused at start -----------------------------

def test_client_certificates_are_required_when_configured(tmp_path):
    tls = make_tls(tmp_path)
    client = make_client_cert(tmp_path)
    extra = f'tls_client_ca_file = "{tls[2]}"\n  tls_require_and_verify_client_cert = true\n  tls_min_version = "tls12"'
    server = ProductionServer(tmp_path, tls=tls, listener_extra=extra, client_cert=client).start()
    try:
        assert server.get("sys/seal-status").status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"{server.addr}/v1/sys/seal-status", verify=tls[2], timeout=10)
        # openssl as the judge: no certificate, no handshake; with one, a clean handshake.
        port = server.addr.rsplit(":", 1)[1]
        base = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", tls[2], "-tls1_2"]
        bare = subprocess.run(base, input="Q\n", capture_output=True, text=True, timeout=30)
        assert "alert handshake failure" in bare.stdout + bare.stderr
        signed = subprocess.run(base + ["-cert", client[0], "-key", client[1]], input="Q\n", capture_output=True, text=True, timeout=30)
        assert "alert" not in signed.stdout + signed.stderr and "Verify return code: 0 (ok)" in signed.stdout
    finally:
        server.stop()


def test_tls_version_bounds_are_honoured(tmp_path):
    tls = make_tls(tmp_path)
    server = ProductionServer(tmp_path, tls=tls, listener_extra='tls_min_version = "tls13"').start()
    try:
        context = ssl.create_default_context(cafile=tls[2])
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        with pytest.raises(ssl.SSLError):
            with socket.create_connection(("127.0.0.1", int(server.addr.rsplit(":", 1)[1])), timeout=10) as sock:
                with context.wrap_socket(sock, server_hostname="127.0.0.1"):
                    pass
        assert server.get("sys/seal-status").status_code == 200
    finally:
        server.stop()


@pytest.mark.parametrize("listener_extra, top_level, named", [
    ('x_forwarded_for_authorized_addrs = "10.0.0.0/8"', "", "x_forwarded_for_authorized_addrs"),
    ('proxy_protocol_behavior = "use_always"', "", "proxy_protocol_behavior"),
    ('max_request_duration = "10s"', "", "max_request_duration"),
    ('tls_min_version = "ssl3"', "", "tls_min_version"),
    ('tls_cipher_suites = "TLS_FAKE_SUITE"', "", "tls_cipher_suites"),
    ('tls_client_ca_file = "/nonexistent"', "", "tls_client_ca_file"),
    ("", 'telemetry { statsd_address = "127.0.0.1:8125" }', "statsd_address"),
    ("", 'plugin_directory = "/plugins"', "plugin_directory"),
    ("", 'log_format = "xml"', "log_format"),
])
def test_unhonoured_config_keys_refuse_to_start(tmp_path, listener_extra, top_level, named):
    server = ProductionServer(tmp_path, listener_extra=listener_extra, seal=top_level)
    out = subprocess.run([TRESOR_BIN, "server", f"-config={server.config}"], capture_output=True, text=True, timeout=30,
                         env=server.env)
    assert out.returncode != 0 and named in out.stdout + out.stderr, out.stdout + out.stderr


# 6. AppRole secret-id token_bound_cidrs --------------------------------------------------------

def test_secret_id_token_bound_cidrs_bind_the_token(any_server):
    s = any_server
    mount = unique("arc")
    assert s.http("POST", f"sys/auth/{mount}", json={"type": "approle"}).status_code == 204
    assert s.http("POST", f"auth/{mount}/role/r", json={"token_policies": ["default"]}).status_code == 204
    role_id = s.http("GET", f"auth/{mount}/role/r/role-id").json()["data"]["role_id"]
    secret_id = s.http("POST", f"auth/{mount}/role/r/secret-id", json={"token_bound_cidrs": ["10.0.0.0/8"]}).json()["data"]["secret_id"]
    login = s.http("POST", f"auth/{mount}/login", token="", json={"role_id": role_id, "secret_id": secret_id})
    assert login.status_code == 200, login.text
    token = login.json()["auth"]["client_token"]
    # We call from 127.0.0.1, outside the token's bounds.
    assert s.http("GET", "auth/token/lookup-self", token=token).status_code == 403, s.name


def test_secret_id_cannot_widen_its_roles_bounds(tresor):
    mount = unique("arw")
    assert tresor.http("POST", f"sys/auth/{mount}", json={"type": "approle"}).status_code == 204
    tresor.http("POST", f"auth/{mount}/role/r", json={"token_bound_cidrs": ["10.0.0.0/8"], "secret_id_bound_cidrs": ["127.0.0.0/8"]})
    for body in ({"token_bound_cidrs": ["192.168.0.0/16"]}, {"cidr_list": ["0.0.0.0/0"]}):
        r = tresor.http("POST", f"auth/{mount}/role/r/secret-id", json=body)
        assert r.status_code == 400 and "failed to verify subset relationship" in r.text, r.text


# 7. Tokens in URL paths ------------------------------------------------------------------------

def test_token_in_path_is_refused_and_never_logged(tmp_path):
    server = start_tresor(str(tmp_path))
    try:
        log = tmp_path / "audit.log"
        assert server.http("PUT", "sys/audit/file", json={"type": "file", "options": {"file_path": str(log)}}).status_code == 204
        victim = token_with(server, "default")
        for method, path in [("GET", f"auth/token/lookup/{victim}"), ("POST", f"auth/token/revoke/{victim}"),
                             ("POST", f"auth/token/renew/{victim}")]:
            r = server.http(method, path)
            assert r.status_code == 404 and r.json()["errors"] == ["unsupported path"], r.text
        assert server.http("GET", "auth/token/lookup-self", token=victim).status_code == 200
        text = log.read_text()
        assert text.count('"path":"auth/token/hmac-sha256:') == 6
        assert victim not in text
    finally:
        server.stop()


# 8. LIST and a deny without the trailing slash --------------------------------------------------

@pytest.mark.parametrize("denied", ["private", "private/*"])
def test_list_deny_without_trailing_slash(any_server, denied):
    s = any_server
    mount = unique("kvl")
    assert s.http("POST", f"sys/mounts/{mount}", json={"type": "kv", "options": {"version": "2"}}).status_code == 204
    s.http("POST", f"{mount}/data/private/plan", json={"data": {"x": "1"}})
    s.http("POST", f"{mount}/data/public/note", json={"data": {"x": "1"}})
    policy(s, f"lister-{mount}", f'path "{mount}/metadata/*" {{ capabilities = ["list"] }}\n'
                                 f'path "{mount}/metadata/{denied}" {{ capabilities = ["deny"] }}')
    lister = token_with(s, f"lister-{mount}")
    for path in (f"{mount}/metadata/private", f"{mount}/metadata/private/"):
        assert s.http("LIST", path, token=lister).status_code == 403, (s.name, path)
    assert s.http("LIST", f"{mount}/metadata/public", token=lister).status_code == 200


# 9. Unicode canonical equivalence and case (Tresor only: OpenBao compares bytes throughout) ---

def test_kelvin_sign_does_not_reach_a_denied_key(tresor):
    mount = unique("kv1")
    assert tresor.http("POST", f"sys/mounts/{mount}", json={"type": "kv"}).status_code == 204
    assert tresor.http("POST", f"{mount}/KEYS", json={"master": "s3cret"}).status_code == 204
    assert tresor.http("GET", f"{mount}/KEYS").status_code == 200  # warms the value cache
    policy(tresor, f"no-keys-{mount}", f'path "{mount}/*" {{ capabilities = ["read"] }}\npath "{mount}/KEYS" {{ capabilities = ["deny"] }}')
    reader = token_with(tresor, f"no-keys-{mount}")
    assert tresor.http("GET", f"{mount}/KEYS", token=reader).status_code == 403
    r = tresor.http("GET", f"{mount}/%E2%84%AAEYS", token=reader)
    assert r.status_code == 404 and "s3cret" not in r.text


def test_upper_case_user_names_do_not_pass_a_deny(tresor):
    mount = unique("upc")
    assert tresor.http("POST", f"sys/auth/{mount}", json={"type": "userpass"}).status_code == 204
    tresor.http("POST", f"auth/{mount}/users/admin", json={"password": "original", "token_policies": "default"})
    policy(tresor, f"helpdesk-{mount}", f'path "auth/{mount}/users/*" {{ capabilities = ["create", "update"] }}\n'
                                        f'path "auth/{mount}/users/admin" {{ capabilities = ["deny"] }}')
    helpdesk = token_with(tresor, f"helpdesk-{mount}")
    for name in ("ADMIN", "Admin", "admin"):
        r = tresor.http("POST", f"auth/{mount}/users/{name}", token=helpdesk, json={"password": "taken"})
        assert r.status_code == 403, (name, r.text)
    assert tresor.http("POST", f"auth/{mount}/login/admin", token="", json={"password": "original"}).status_code == 200


# 10. Audit devices over the API -----------------------------------------------------------------

def test_production_refuses_api_audit_devices_by_default(tmp_path):
    server = ProductionServer(tmp_path).start()
    try:
        init = server.init(1, 1)
        server.unseal(init["unseal_keys_b64"])
        r = server.request("PUT", "sys/audit/sneaky", init["root_token"],
                           json={"type": "file", "options": {"file_path": str(tmp_path / "sneaky.log")}})
        assert r.status_code == 400
        assert r.json()["errors"] == ["cannot enable audit device via API; use declarative, config-based audit device management instead"]
    finally:
        server.stop()


# 11. database/config returns connection_url with its password (see test_database.py) -----------


# Issue 26: two X-Vault-Token headers -------------------------------------------------------------

def test_two_token_headers_are_refused(tresor):
    with socket.create_connection(("127.0.0.1", int(tresor.addr.rsplit(":", 1)[1])), timeout=10) as sock:
        sock.sendall(b"GET /v1/auth/token/lookup-self HTTP/1.1\r\nHost: x\r\nX-Vault-Token: root\r\n"
                     b"X-Vault-Token: bogus\r\nConnection: close\r\n\r\n")
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), reply
    assert b"multiple X-Vault-Token headers" in body


# Beyond the list: the CLI's token helper file ------------------------------------------------------

def test_cli_token_file_is_private_and_never_follows_a_link(tresor, tmp_path):
    import os
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "VAULT_ADDR": tresor.addr, "VAULT_TOKEN": ""}
    helper = tmp_path / ".vault-token"
    helper.write_text("old-token-that-is-longer-than-the-new-one-by-far")
    helper.chmod(0o644)
    login = subprocess.run([TRESOR_BIN, "login", "root"], capture_output=True, text=True, timeout=60, env=env)
    assert login.returncode == 0, login.stderr
    assert oct(helper.stat().st_mode & 0o777) == "0o600"
    assert helper.read_text() == "root"
    # A link planted in its place (to a file the attacker reads) is refused, not written through.
    helper.unlink()
    target = tmp_path / "planted"
    target.write_text("")
    helper.symlink_to(target)
    login = subprocess.run([TRESOR_BIN, "login", "root"], capture_output=True, text=True, timeout=60, env=env)
    assert login.returncode != 0
    assert target.read_text() == ""


# Beyond the list: LIST rewriting and pipelining --------------------------------------------------

def raw_exchange(server, payload):
    with socket.create_connection(("127.0.0.1", int(server.addr.rsplit(":", 1)[1])), timeout=10) as sock:
        sock.sendall(payload)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


def test_pipelined_list_in_one_read_is_served_and_bodies_are_not_rewritten(tresor):
    mount = unique("kvp")
    assert tresor.http("POST", f"sys/mounts/{mount}", json={"type": "kv", "options": {"version": "2"}}).status_code == 204
    # A body that carries a LIST request line of its own must be stored as sent, not rewritten.
    smuggled = "\r\n\r\nLIST /v1/sys/policies/acl HTTP/1.1\r\nX-Vault-Token: root\r\n\r\n"
    body = json.dumps({"data": {"note": smuggled}}).encode()
    put = (f"PUT /v1/{mount}/data/a HTTP/1.1\r\nHost: x\r\nX-Vault-Token: root\r\n"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    listing = f"LIST /v1/{mount}/metadata/ HTTP/1.1\r\nHost: x\r\nX-Vault-Token: root\r\n\r\n".encode()
    health = b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    reply = raw_exchange(tresor, put + listing + health)
    import re
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", reply)
    assert statuses == [b"200"] * 3, reply  # the body's LIST line was never taken for a request
    assert b'"keys":["a"]' in reply
    stored = tresor.http("GET", f"{mount}/data/a").json()["data"]["data"]["note"]
    assert stored == smuggled


def test_audit_options_that_would_not_be_honoured_are_refused(tresor, tmp_path):
    for options in ({"file_path": str(tmp_path / "f.log"), "filter": 'mount_type == "kv"'},
                    {"file_path": str(tmp_path / "f.log"), "format": "jsonx"},
                    {"file_path": str(tmp_path / "f.log"), "fallback": "true"}):
        r = tresor.http("PUT", f"sys/audit/{unique('a')}", json={"type": "file", "options": options})
        assert r.status_code == 400 and "not supported" in r.text, r.text
    server = ProductionServer(tmp_path, seal=f'audit "file" "x" {{\n  file_path = "{tmp_path}/x.log"\n  exclude = "[]"\n}}\n')
    out = subprocess.run([TRESOR_BIN, "server", f"-config={server.config}"], capture_output=True, text=True, timeout=30,
                         env=server.env)
    assert out.returncode != 0 and "exclude" in out.stderr, out.stderr


# 12. The barrier's encryption count survives a restart -------------------------------------------

def test_encryption_count_survives_a_restart(tmp_path):
    server = ProductionServer(tmp_path).start()
    try:
        init = server.init(1, 1)
        server.unseal(init["unseal_keys_b64"])
        root = init["root_token"]
        assert server.request("POST", "sys/mounts/kv", root, json={"type": "kv"}).status_code == 204

        def write(worker):
            with requests.Session() as session:
                for index in range(1100):
                    r = session.put(f"{server.addr}/v1/kv/w{worker}-{index}", headers={"X-Vault-Token": root},
                                    json={"v": "x"}, timeout=10)
                    assert r.status_code == 204

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(write, range(4)))
        before = server.get("sys/key-status", root).json()["data"]
        assert before["term"] == 1 and before["encryptions"] >= 4400
        server.stop()
        server.start()
        server.unseal(init["unseal_keys_b64"])
        after = server.get("sys/key-status", root).json()["data"]
        # Written into the keyring every 4,096 encryptions: a restart loses at most that many.
        assert after["term"] == 1 and 4096 <= after["encryptions"] <= before["encryptions"]
    finally:
        server.stop()

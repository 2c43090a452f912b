"""Hostile and malformed input: each gets a clear 4xx, the server keeps serving, nothing is stored.
Also regressions from Vault's and OpenBao's published advisories."""
import json
import socket
from urllib.parse import urlparse

import hvac
import pytest
import requests


def errors(response):
    body = response.json()
    assert isinstance(body.get("errors"), list)
    return body["errors"]


def assert_nothing_at(server, path):
    assert server.http("GET", path).status_code == 404


def test_malformed_json(tresor):
    r = tresor.http("PUT", "secret/data/hostile/a", data="{\"data\": {")
    assert r.status_code == 400 and "JSON" in errors(r)[0]
    r = tresor.http("PUT", "secret/data/hostile/a", data="[1, 2, 3]")
    assert r.status_code == 400
    r = tresor.http("PUT", "secret/data/hostile/a", data=b"\xff\xfe\x00")
    assert r.status_code == 400
    assert_nothing_at(tresor, "secret/data/hostile/a")


def test_deeply_nested_json(tresor):
    deep = "[" * 200_000 + "]" * 200_000
    r = tresor.http("PUT", "secret/data/hostile/deep", data='{"data": {"x": ' + deep + "}}")
    assert r.status_code == 400
    assert_nothing_at(tresor, "secret/data/hostile/deep")
    assert tresor.http("GET", "sys/health").status_code == 200


def test_wrong_field_types(tresor):
    r = tresor.http("PUT", "secret/metadata/hostile/t", json={"max_versions": "many"})
    assert r.status_code == 400 and "max_versions" in errors(r)[0]
    r = tresor.http("PUT", "secret/data/hostile/t", json={"data": "not a map"})
    assert r.status_code == 400
    r = tresor.http("POST", "auth/token/create", json={"ttl": "forever"})
    assert r.status_code == 400 and "ttl" in errors(r)[0]
    r = tresor.http("POST", "sys/mounts/hostile", json={"type": "kv", "config": {"default_lease_ttl": [1]}})
    assert r.status_code == 400
    assert tresor.http("GET", "sys/mounts/hostile").status_code == 400
    assert_nothing_at(tresor, "secret/metadata/hostile/t")


def test_unknown_mount_and_method(tresor):
    r = tresor.http("GET", "nosuchmount/x")
    assert r.status_code == 404 and "no handler for route" in errors(r)[0]
    r = tresor.http("PATCH", "secret/data/x", data="{}", headers={"Content-Type": "application/json"})
    assert r.status_code == 415
    r = tresor.http("DELETE", "sys/seal-status")
    assert r.status_code == 405


def test_invalid_hcl_names_line_and_column(tresor):
    r = tresor.http("PUT", "sys/policies/acl/broken", json={"policy": 'path "secret/*" {\n  capabilities = ["read"\n}'})
    assert r.status_code == 400
    message = errors(r)[0]
    assert "failed to parse policy" in message and "At " in message and ":" in message
    assert tresor.http("GET", "sys/policies/acl/broken").status_code == 404


def test_body_over_32_mib(tresor):
    big = '{"data": {"x": "' + "a" * (33 * 1024 * 1024) + '"}}'
    try:
        r = tresor.http("PUT", "secret/data/hostile/big", data=big)
        assert r.status_code == 413
    except requests.ConnectionError:
        pass  # the server may close the connection after refusing; what matters is below
    assert tresor.http("GET", "sys/health").status_code == 200
    assert_nothing_at(tresor, "secret/data/hostile/big")


@pytest.mark.parametrize("path", [
    "/v1/secret/data/a/../b",
    "/v1/secret/./data/b",
    "/v1/secret//data/b",
    "/v1/secret/data/%2e%2e/b",
    "/v1/sys/../secret/data/b",
])
def test_hcsec_2026_05_cve_2026_3605_path_tricks(tresor, path):
    """Sent raw, so no client library cleans the path first."""
    url = urlparse(tresor.addr)
    body = b'{"data": {"k": "v"}}'
    request = (f"PUT {path} HTTP/1.1\r\nHost: {url.netloc}\r\nX-Vault-Token: {tresor.token}\r\n"
               f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    status = int(reply.split(b" ", 2)[1])
    assert 400 <= status < 500, reply[:200]
    assert_nothing_at(tresor, "secret/data/b")
    assert tresor.http("GET", "sys/health").status_code == 200


def test_encoded_slash_is_a_plain_slash(tresor):
    r = tresor.http("PUT", "secret/data/enc%2Fslash", json={"data": {"k": "v"}})
    assert r.status_code == 200
    assert tresor.client().secrets.kv.v2.read_secret_version(path="enc/slash", raise_on_deleted_version=True)["data"]["data"] == {"k": "v"}


def test_root_policy_name_cannot_be_faked(tresor):
    for name in ["Root", " root", "ROOT "]:
        r = tresor.http("PUT", "sys/policies/acl/" + requests.utils.quote(name), json={"policy": 'path "*" { capabilities = ["sudo"] }'})
        assert r.status_code == 400, name
    root = tresor.client()
    root.sys.create_or_update_acl_policy(name="creator", policy='path "auth/token/create" { capabilities = ["update"] }')
    creator = tresor.client(root.auth.token.create(policies=["creator"])["auth"]["client_token"])
    for name in ["Root", " root"]:
        with pytest.raises(hvac.exceptions.InvalidRequest):
            creator.auth.token.create(policies=[name])


def test_list_cannot_read_past_deny(tresor):
    root = tresor.client()
    root.secrets.kv.v2.create_or_update_secret(path="shared/open", secret={"a": "1"})
    root.secrets.kv.v2.create_or_update_secret(path="shared/private/key", secret={"a": "2"})
    root.sys.create_or_update_acl_policy(name="lister", policy="""
path "secret/metadata/shared/*" { capabilities = ["list", "read"] }
path "secret/data/shared/*" { capabilities = ["read"] }
path "secret/metadata/shared/private/*" { capabilities = ["deny"] }
path "secret/data/shared/private/*" { capabilities = ["deny"] }
""")
    lister = tresor.client(root.auth.token.create(policies=["lister"])["auth"]["client_token"])
    assert "private/" in lister.secrets.kv.v2.list_secrets(path="shared")["data"]["keys"]
    with pytest.raises(hvac.exceptions.Forbidden):
        lister.secrets.kv.v2.list_secrets(path="shared/private")
    with pytest.raises(hvac.exceptions.Forbidden):
        lister.secrets.kv.v2.read_secret_version(path="shared/private/key", raise_on_deleted_version=True)
    r = tresor.http("GET", "secret/metadata/shared/private/?list=true", token=lister.token)
    assert r.status_code == 403


def test_cannot_revoke_or_read_another_tokens_things(tresor):
    root = tresor.client()
    a = root.auth.token.create(policies=["default"])["auth"]
    b = root.auth.token.create(policies=["default"])["auth"]
    tresor.client(a["client_token"]).write("cubbyhole/secret", v="a-only")
    client_b = tresor.client(b["client_token"])
    assert client_b.read("cubbyhole/secret") is None
    with pytest.raises(hvac.exceptions.Forbidden):
        client_b.auth.token.revoke(a["client_token"])
    with pytest.raises(hvac.exceptions.Forbidden):
        client_b.auth.token.revoke_accessor(a["accessor"])
    with pytest.raises(hvac.exceptions.Forbidden):
        client_b.auth.token.lookup(a["client_token"])
    assert tresor.client(a["client_token"]).read("cubbyhole/secret")["data"] == {"v": "a-only"}


def test_server_survives_garbage_on_the_socket(tresor):
    url = urlparse(tresor.addr)
    for garbage in [b"\x00\x01\x02\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"LIST\r\n\r\n", b"A" * 100_000 + b"\r\n\r\n"]:
        with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
            try:
                sock.sendall(garbage)
                sock.recv(1024)
            except OSError:
                pass
    assert tresor.http("GET", "sys/health").status_code == 200

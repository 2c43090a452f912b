"""Response wrapping, with the same requests to Tresor and OpenBao: the deploy pipeline hands an
AppRole secret-id to the application through a single-use wrapping token."""
import json
import time
from pathlib import Path

import hvac
import pytest
import requests

from conftest import start_tresor


def call(server, method, path, token=None, wrap=None, **kwargs):
    headers = {"X-Vault-Token": server.token if token is None else token}
    if wrap is not None:
        headers["X-Vault-Wrap-TTL"] = wrap
    return requests.request(method, f"{server.addr}/v1/{path}", headers=headers, timeout=10, **kwargs)


def approle(server, name):
    if "approle/" not in server.client().sys.list_auth_methods()["data"]:
        assert server.bao("auth", "enable", "approle").returncode == 0
    assert server.bao("write", f"auth/approle/role/{name}", "token_policies=default").returncode == 0


def test_wrapped_secret_id_is_unwrapped_once_by_the_application(any_server):
    approle(any_server, "wrapped")
    reply = call(any_server, "POST", "auth/approle/role/wrapped/secret-id", wrap="120s")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["data"] is None and body["auth"] is None
    info = body["wrap_info"]
    assert info["ttl"] == 120 and info["creation_path"] == "auth/approle/role/wrapped/secret-id"
    assert set(info) >= {"token", "accessor", "ttl", "creation_time", "creation_path"}

    # The application checks where the token came from before using it, without using it up.
    looked = call(any_server, "POST", "sys/wrapping/lookup", token="", json={"token": info["token"]}).json()["data"]
    assert looked["creation_path"] == "auth/approle/role/wrapped/secret-id" and looked["creation_ttl"] == 120

    app = hvac.Client(url=any_server.addr, token=info["token"])
    unwrapped = app.sys.unwrap()
    secret_id = unwrapped["data"]["secret_id"]
    role_id = any_server.client().auth.approle.read_role_id("wrapped")["data"]["role_id"]
    login = hvac.Client(url=any_server.addr).auth.approle.login(role_id=role_id, secret_id=secret_id)
    assert login["auth"]["client_token"]

    again = call(any_server, "POST", "sys/wrapping/unwrap", token=info["token"])
    assert again.status_code == 400
    assert again.json()["errors"] == ["wrapping token is not valid or does not exist"]
    gone = call(any_server, "POST", "sys/wrapping/lookup", token="", json={"token": info["token"]})
    assert gone.status_code == 400


def test_a_substituted_token_shows_its_real_creation_path(any_server):
    # An attacker wraps data of their own choosing: the creation path gives it away.
    forged = call(any_server, "POST", "sys/wrapping/wrap", wrap="60", json={"secret_id": "attacker-chosen"}).json()["wrap_info"]
    assert forged["creation_path"] == "sys/wrapping/wrap"
    looked = call(any_server, "POST", "sys/wrapping/lookup", token="", json={"token": forged["token"]}).json()["data"]
    assert looked["creation_path"] != "auth/approle/role/wrapped/secret-id"
    assert call(any_server, "POST", "sys/wrapping/unwrap", json={"token": forged["token"]}).json()["data"] == {"secret_id": "attacker-chosen"}


def test_wrap_rewrap_and_refusals(any_server):
    no_ttl = call(any_server, "POST", "sys/wrapping/wrap", json={"a": "b"})
    assert no_ttl.status_code == 400 and no_ttl.json()["errors"] == ["endpoint requires response wrapping to be used"]
    bad = call(any_server, "GET", "sys/mounts", wrap="soon")
    assert bad.status_code == 400 and "X-Vault-Wrap-TTL" in bad.json()["errors"][0]

    first = call(any_server, "POST", "sys/wrapping/wrap", wrap="5m", json={"k": "v", "n": 1}).json()["wrap_info"]
    assert first["ttl"] == 300
    second = call(any_server, "POST", "sys/wrapping/rewrap", json={"token": first["token"]}).json()["wrap_info"]
    assert second["token"] != first["token"] and second["ttl"] == 300 and second["creation_path"] == "sys/wrapping/wrap"
    assert call(any_server, "POST", "sys/wrapping/unwrap", json={"token": first["token"]}).status_code == 400
    assert call(any_server, "POST", "sys/wrapping/unwrap", json={"token": second["token"]}).json()["data"] == {"k": "v", "n": 1}


def test_wrapped_token_creation_and_kv_read(any_server):
    created = call(any_server, "POST", "auth/token/create", wrap="60", json={"policies": ["default"], "ttl": "1h"}).json()["wrap_info"]
    assert created["creation_path"] == "auth/token/create" and created["wrapped_accessor"]
    wrapping = call(any_server, "POST", "auth/token/lookup-accessor", json={"accessor": created["accessor"]}).json()["data"]
    assert wrapping["policies"] == ["response-wrapping"] and wrapping["num_uses"] == 1 and wrapping["renewable"] is False
    auth = call(any_server, "POST", "sys/wrapping/unwrap", token=created["token"]).json()["auth"]
    assert auth["accessor"] == created["wrapped_accessor"] and auth["policies"] == ["default"]
    assert call(any_server, "GET", "auth/token/lookup-self", token=auth["client_token"]).status_code == 200

    assert call(any_server, "POST", "secret/data/wrapped", json={"data": {"pw": "s3cret"}}).status_code == 200
    read = call(any_server, "GET", "secret/data/wrapped", wrap="60").json()
    assert read["data"] is None and read["wrap_info"]["creation_path"] == "secret/data/wrapped"
    out = call(any_server, "POST", "sys/wrapping/unwrap", json={"token": read["wrap_info"]["token"]}).json()
    assert out["data"]["data"] == {"pw": "s3cret"} and out["data"]["metadata"]["version"] == 1


def test_an_expired_wrapping_token_fails(any_server):
    info = call(any_server, "POST", "sys/wrapping/wrap", wrap="1", json={"a": "b"}).json()["wrap_info"]
    time.sleep(2.5)
    assert call(any_server, "POST", "sys/wrapping/unwrap", json={"token": info["token"]}).status_code == 400


def test_the_audit_log_shows_wrap_and_unwrap_with_secrets_hmaced(tmp_path):
    server = start_tresor(str(tmp_path))
    try:
        log = tmp_path / "audit.log"
        assert server.bao("audit", "enable", "file", f"file_path={log}").returncode == 0
        approle(server, "audited")
        info = call(server, "POST", "auth/approle/role/audited/secret-id", wrap="60").json()["wrap_info"]
        secret_id = call(server, "POST", "sys/wrapping/unwrap", token=info["token"]).json()["data"]["secret_id"]
        text = log.read_text()
        for secret in (secret_id, info["token"]):
            assert secret not in text
        entries = [json.loads(line) for line in text.splitlines()]
        wrap = [e for e in entries if e["type"] == "response" and e["request"]["path"] == "auth/approle/role/audited/secret-id"]
        assert wrap and wrap[0]["response"]["wrap_info"]["token"].startswith("hmac-sha256:")
        assert wrap[0]["response"]["wrap_info"]["creation_path"] == "auth/approle/role/audited/secret-id"
        unwrap = [e for e in entries if e["type"] == "response" and e["request"]["path"] == "sys/wrapping/unwrap"]
        assert unwrap and unwrap[0]["response"]["data"]["secret_id"].startswith("hmac-sha256:")
    finally:
        server.stop()

"""Root-token generation on a 5-share / threshold-3 server: hvac drives it with a root token, the
bao CLI decodes the result, and the new token works. Unauthenticated callers can neither start,
feed nor cancel an attempt (HCSEC-2026-08 / CVE-2026-5807)."""
import subprocess

import hvac
import pytest
import requests

from conftest import BAO_BIN, TRESOR_BIN
from production import ProductionServer

OTP = "BMjzW3wAsEzINXCM05Wbas3u9zSl"  # hvac's own test OTP for Vault 1.10+: 28 characters


@pytest.fixture
def server(tmp_path):
    running = ProductionServer(tmp_path).start()
    init = running.init(5, 3)
    running.unseal(init["unseal_keys_b64"][:3])
    yield running, init["unseal_keys_b64"], init["root_token"]
    running.stop()


def test_generate_root_with_hvac_and_decode_with_bao(server):
    running, keys, root = server
    client = hvac.Client(url=running.addr, token=root)
    assert client.sys.read_root_generation_progress()["started"] is False
    started = client.sys.start_root_token_generation(otp=OTP)
    assert client.sys.read_root_generation_progress()["started"] is True
    nonce = started["nonce"]
    last = {}
    for key in keys[1:4]:
        last = client.sys.generate_root(key=key, nonce=nonce)
    assert last["complete"] is True and client.sys.read_root_generation_progress()["started"] is False
    encoded = last["encoded_root_token"]

    decoded = {}
    for binary in (BAO_BIN, TRESOR_BIN):
        out = subprocess.run([binary, "operator", "generate-root", f"-address={running.addr}", f"-decode={encoded}", f"-otp={OTP}"],
                             capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "VAULT_TOKEN": root})
        assert out.returncode == 0, out.stderr
        decoded[binary] = out.stdout.strip()
    assert decoded[BAO_BIN] == decoded[TRESOR_BIN]
    new_root = decoded[BAO_BIN]
    looked = hvac.Client(url=running.addr, token=new_root).auth.token.lookup_self()["data"]
    assert looked["policies"] == ["root"] and looked["path"] == "auth/token/root"


def test_cancel_and_wrong_keys(server):
    running, keys, root = server
    client = hvac.Client(url=running.addr, token=root)
    client.sys.start_root_token_generation(otp=OTP)
    client.sys.cancel_root_generation()
    assert client.sys.read_root_generation_progress()["started"] is False

    nonce = client.sys.start_root_token_generation()["nonce"]
    bad = requests.put(f"{running.addr}/v1/sys/generate-root/update", headers={"X-Vault-Token": root},
                       json={"key": keys[0], "nonce": "not-the-nonce"}, timeout=10)
    assert bad.status_code == 400
    # Three shares of another server's keys do not make a root token.
    other = [__import__("base64").b64encode(__import__("os").urandom(33)).decode() for _ in range(3)]
    responses = [requests.put(f"{running.addr}/v1/sys/generate-root/update", headers={"X-Vault-Token": root},
                              json={"key": key, "nonce": nonce}, timeout=10) for key in other]
    assert responses[-1].status_code == 400, responses[-1].text


def test_hcsec_2026_08_strangers_cannot_start_feed_or_cancel_root_generation(server):
    running, keys, root = server
    client = hvac.Client(url=running.addr, token=root)
    nonce = client.sys.start_root_token_generation(otp=OTP)["nonce"]
    for base in ("sys/generate-root", "sys/generate-root-token"):
        for method, path, body in (("DELETE", "attempt", None), ("PUT", "attempt", {"otp": OTP}),
                                   ("PUT", "update", {"key": keys[0], "nonce": nonce}), ("GET", "attempt", None)):
            reply = requests.request(method, f"{running.addr}/v1/{base}/{path}", json=body, timeout=10)
            assert reply.status_code in (400, 403, 405), (base, path, reply.status_code)
    # A token without sudo on the path is a stranger too.
    limited = client.auth.token.create(policies=["default"])["auth"]["client_token"]
    assert requests.delete(f"{running.addr}/v1/sys/generate-root/attempt", headers={"X-Vault-Token": limited}, timeout=10).status_code == 403
    status = client.sys.read_root_generation_progress()
    assert status["started"] is True and status["progress"] == 0


def test_the_tresor_cli_runs_the_whole_ceremony(server):
    running, keys, root = server
    env = {"PATH": "/usr/bin:/bin", "VAULT_ADDR": running.addr, "VAULT_TOKEN": root, "HOME": str(running.dir)}

    def cli(*args):
        out = subprocess.run([TRESOR_BIN, "operator", "generate-root", *args], capture_output=True, text=True, timeout=60, env=env)
        assert out.returncode == 0, out.stderr
        return out.stdout

    started = __import__("json").loads(cli("-init", "-format=json"))
    otp, nonce = started["otp"], started["nonce"]
    assert len(otp) == 28 and started["started"] is True
    assert "Progress" in cli("-status")
    for key in keys[2:5]:
        last = __import__("json").loads(cli(f"-nonce={nonce}", "-format=json", key))
    token = cli(f"-decode={last['encoded_token']}", f"-otp={otp}").strip()
    assert token.startswith("hvs.") and len(token) == 28
    assert requests.get(f"{running.addr}/v1/auth/token/lookup-self", headers={"X-Vault-Token": token}, timeout=10).json()["data"]["policies"] == ["root"]
    assert len(cli("-generate-otp").strip()) == 28


def test_hcsec_2026_08_break_glass_listener_still_requires_the_nonce(tmp_path):
    """With `disable_unauthed_generate_root_endpoints = false` on the listener (every token lost),
    root generation works without a token, but cancelling needs the attempt's nonce."""
    running = ProductionServer(tmp_path, listener_extra="  disable_unauthed_generate_root_endpoints = false\n"
                                                        "  disable_unauthed_rekey_endpoints = false\n").start()
    try:
        init = running.init(5, 3)
        running.unseal(init["unseal_keys_b64"][:3])
        base = f"{running.addr}/v1/sys/generate-root"
        assert requests.get(base + "/attempt", timeout=10).json()["started"] is False
        nonce = requests.put(base + "/attempt", json={"otp": OTP}, timeout=10).json()["nonce"]
        assert requests.delete(base + "/attempt", timeout=10).status_code == 400
        assert requests.delete(base + "/attempt", json={"nonce": "guess"}, timeout=10).status_code == 400
        assert requests.get(base + "/attempt", timeout=10).json()["started"] is True
        last = {}
        for key in init["unseal_keys_b64"][:3]:
            last = requests.put(base + "/update", json={"key": key, "nonce": nonce}, timeout=10).json()
        assert last["complete"] is True
        out = subprocess.run([TRESOR_BIN, "operator", "generate-root", f"-decode={last['encoded_root_token']}", f"-otp={OTP}"],
                             capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
        token = out.stdout.strip()
        assert requests.get(f"{running.addr}/v1/auth/token/lookup-self", headers={"X-Vault-Token": token}, timeout=10).status_code == 200
        # OpenBao's authenticated paths stay authenticated.
        assert requests.get(f"{running.addr}/v1/sys/generate-root-token/attempt", timeout=10).status_code == 403
        # Rekey without a token: cancel needs the nonce too.
        rekey = requests.put(f"{running.addr}/v1/sys/rekey/init", json={"secret_shares": 3, "secret_threshold": 2}, timeout=10).json()
        assert requests.delete(f"{running.addr}/v1/sys/rekey/init", timeout=10).status_code == 400
        assert requests.delete(f"{running.addr}/v1/sys/rekey/init", json={"nonce": rekey["nonce"]}, timeout=10).status_code == 204
    finally:
        running.stop()

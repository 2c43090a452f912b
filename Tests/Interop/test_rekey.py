"""Rekey on a 5-share / threshold-3 server: new shares and threshold, old keys stop working and new
ones unseal after a restart; with verification the new key takes effect only once new shares are
given back. Unauthenticated callers cannot touch a rekey (HCSEC-2026-08)."""
import json
import subprocess

import hvac
import pytest
import requests

from conftest import TRESOR_BIN
from production import ProductionServer


@pytest.fixture
def server(tmp_path):
    running = ProductionServer(tmp_path).start()
    init = running.init(5, 3)
    running.unseal(init["unseal_keys_b64"][:3])
    yield running, init["unseal_keys_b64"], init["root_token"]
    running.stop()


def restart(running):
    running.stop()
    running.start()


def test_rekey_with_hvac_then_only_the_new_keys_unseal(server):
    running, keys, root = server
    client = hvac.Client(url=running.addr, token=root)
    assert client.sys.read_rekey_progress()["started"] is False
    client.sys.start_rekey()
    assert client.sys.read_rekey_progress()["started"] is True
    client.sys.cancel_rekey()
    assert client.sys.read_rekey_progress()["started"] is False

    nonce = client.sys.start_rekey(secret_shares=3, secret_threshold=2)["nonce"]
    result = client.sys.rekey_multi(keys[1:4], nonce=nonce)
    assert result["complete"] is True and len(result["keys_base64"]) == 3
    new_keys = result["keys_base64"]
    assert running.get("sys/seal-status").json()["t"] == 2 and running.get("sys/seal-status").json()["n"] == 3

    restart(running)
    for old in keys[:3]:
        running.request("PUT", "sys/unseal", json={"key": old})
    assert running.get("sys/seal-status").json()["sealed"] is True
    running.request("PUT", "sys/unseal", json={"reset": True})
    running.unseal(new_keys[:2])
    assert running.get("sys/seal-status").json()["sealed"] is False
    assert hvac.Client(url=running.addr, token=root).is_authenticated()


def test_rekey_with_verification_takes_effect_only_when_verified(server):
    running, keys, root = server
    client = hvac.Client(url=running.addr, token=root)
    nonce = client.sys.start_rekey(secret_shares=5, secret_threshold=3, require_verification=True)["nonce"]
    result = client.sys.rekey_multi(keys[:3], nonce=nonce)
    assert result["complete"] is True and result["verification_required"] is True
    new_keys = result["keys_base64"]
    first = client.sys.read_rekey_verify_progress()["nonce"]
    second = client.sys.cancel_rekey_verify()["nonce"]
    assert first != second
    # Not verified yet: the old keys still unseal.
    restart(running)
    running.unseal(keys[2:5])
    assert running.get("sys/seal-status").json()["sealed"] is False
    # The verification state lives in the node's memory, as in Vault: start again after the restart.
    client = hvac.Client(url=running.addr, token=root)
    nonce = client.sys.start_rekey(secret_shares=5, secret_threshold=3, require_verification=True)["nonce"]
    new_keys = client.sys.rekey_multi(keys[:3], nonce=nonce)["keys_base64"]
    verify_nonce = client.sys.read_rekey_verify_progress()["nonce"]
    done = client.sys.rekey_verify_multi(new_keys[:3], nonce=verify_nonce)
    assert done["complete"] is True
    restart(running)
    running.unseal(new_keys[1:4])
    assert running.get("sys/seal-status").json()["sealed"] is False


def test_hcsec_2026_08_the_tresor_cli_rekeys_and_strangers_cannot(server):
    running, keys, root = server
    env = {"PATH": "/usr/bin:/bin", "VAULT_ADDR": running.addr, "VAULT_TOKEN": root, "HOME": str(running.dir)}

    def cli(*args, token=root):
        return subprocess.run([TRESOR_BIN, "operator", "rekey", *args], capture_output=True, text=True, timeout=60,
                              env=dict(env, VAULT_TOKEN=token))

    started = cli("-init", "-key-shares=3", "-key-threshold=2", "-format=json")
    assert started.returncode == 0, started.stderr
    nonce = json.loads(started.stdout)["nonce"]
    for base in ("sys/rekey/init", "sys/rekey/update", "sys/rekey/verify"):
        for method in ("GET", "PUT", "DELETE"):
            reply = requests.request(method, f"{running.addr}/v1/{base}", json={"key": keys[0], "nonce": nonce}, timeout=10)
            assert reply.status_code in (400, 403, 405), (method, base, reply.status_code)
    assert running.request("GET", "sys/rekey/init", token=root).json()["progress"] == 0
    for key in keys[:2]:
        assert cli(f"-nonce={nonce}", key).returncode == 0
    done = cli(f"-nonce={nonce}", keys[2])
    assert done.returncode == 0 and "Key 3:" in done.stdout, done.stdout + done.stderr
    assert requests.get(f"{running.addr}/v1/sys/rekey/backup", headers={"X-Vault-Token": root}, timeout=10).json()["errors"] == ["no backed-up keys found"]

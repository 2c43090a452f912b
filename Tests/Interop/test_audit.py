"""Audit devices: every request logged with its response, secrets HMAC'd, fail closed, tamper-evident."""
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import hvac
import pytest

from conftest import TRESOR_BIN, start_tresor


def entries(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


def verify(path):
    return subprocess.run([TRESOR_BIN, "audit", "verify", str(path)], capture_output=True, text=True)


@pytest.fixture
def server(tmp_path):
    s = start_tresor(str(tmp_path))
    yield s
    s.stop()


def test_scenarios_are_logged_without_secrets(server, tmp_path):
    log = tmp_path / "audit.log"
    out = server.bao("audit", "enable", "file", f"file_path={log}")
    assert out.returncode == 0, out.stderr
    password = "correct-horse-battery-staple"
    assert server.bao("kv", "put", "secret/audited", f"password={password}").returncode == 0
    assert server.bao("kv", "get", "secret/audited").returncode == 0
    assert server.bao("policy", "write", "audited", "-", stdin='path "secret/data/audited" { capabilities = ["read"] }').returncode == 0
    created = json.loads(server.bao("token", "create", "-policy=audited", "-format=json").stdout)["auth"]
    token = created["client_token"]
    login = server.bao("login", token)
    assert login.returncode == 0, login.stderr
    denied = server.bao("kv", "put", "secret/audited", "password=x", token=token)
    assert denied.returncode == 2
    bad = server.bao("kv", "get", "secret/audited", token="hvs.not-a-token")
    assert bad.returncode == 2
    user_password = "userpass-pw-in-plaintext"
    assert server.bao("auth", "enable", "userpass").returncode == 0
    assert server.bao("write", "auth/userpass/users/carol", f"password={user_password}", "token_policies=audited").returncode == 0
    carol = json.loads(server.bao("login", "-method=userpass", "-format=json", "username=carol", f"password={user_password}", token="").stdout)
    carol_token = carol["auth"]["client_token"]
    failed = server.bao("login", "-method=userpass", "username=carol", "password=wrong-guess-123", token="")
    assert failed.returncode == 2

    text = log.read_text()
    for secret in [password, token, created["accessor"], user_password, carol_token, "wrong-guess-123"]:
        assert secret not in text, f"{secret!r} appears in the audit log"

    logged = entries(log)
    requests_ = {e["request"]["id"] for e in logged if e["type"] == "request"}
    responses = {e["request"]["id"] for e in logged if e["type"] == "response"}
    assert requests_ and requests_ == responses, "every request entry has its response entry"
    paths = [e["request"]["path"] for e in logged]
    for expected in ["secret/data/audited", "sys/policies/acl/audited", "auth/token/create", "auth/token/lookup-self",
                     "auth/userpass/login/carol"]:
        assert expected in paths
    logins = [e for e in logged if e["request"]["path"] == "auth/userpass/login/carol" and e["type"] == "response"]
    assert any(e.get("error") == "invalid username or password" for e in logins), "a failed login is logged"
    assert any(e.get("response", {}).get("auth", {}).get("client_token", "").startswith("hmac-sha256:") for e in logins)
    errors = [e.get("error", "") for e in logged if e["request"]["path"] == "secret/data/audited"]
    assert "permission denied" in errors

    hashed = server.client().sys.calculate_hash(path="file", input_to_hash=password)["data"]["hash"]
    assert hashed.startswith("hmac-sha256:")
    writes = [e for e in logged if e["type"] == "request" and e["request"]["operation"] in ("create", "update")
              and e["request"]["path"] == "secret/data/audited"]
    assert writes[0]["request"]["data"]["data"]["password"] == hashed
    token_hash = server.client().sys.calculate_hash(path="file", input_to_hash=token)["data"]["hash"]
    assert any(e.get("auth", {}).get("client_token") == token_hash for e in logged)
    assert verify(log).returncode == 0


def test_hvac_audit_calls(server, tmp_path):
    client = server.client()
    client.sys.enable_audit_device(device_type="file", path="hvac-file", options={"file_path": str(tmp_path / "hvac.log")})
    listed = client.sys.list_enabled_audit_devices()["data"]
    assert listed["hvac-file/"]["type"] == "file"
    assert listed["hvac-file/"]["options"]["file_path"] == str(tmp_path / "hvac.log")
    assert client.sys.calculate_hash(path="hvac-file", input_to_hash="x")["data"]["hash"].startswith("hmac-sha256:")
    client.sys.disable_audit_device(path="hvac-file")
    assert "hvac-file/" not in client.sys.list_enabled_audit_devices()["data"]


def test_unsafe_device_options_are_refused(server, tmp_path):
    client = server.client()
    for options in [{"file_path": str(tmp_path / "x.log"), "mode": "0755"},
                    {"file_path": "relative.log"},
                    {"file_path": str(tmp_path / "y.log"), "prefix": "#!/bin/sh\n"},
                    {"file_path": str(tmp_path / ".." / "z.log")}]:
        with pytest.raises(hvac.exceptions.InvalidRequest):
            client.sys.enable_audit_device(device_type="file", path="bad", options=options)
    os.symlink("/etc/passwd", tmp_path / "link.log")
    with pytest.raises(hvac.exceptions.InvalidRequest):
        client.sys.enable_audit_device(device_type="file", path="bad", options={"file_path": str(tmp_path / "link.log")})
    assert not (tmp_path / "x.log").exists()
    # Only an admin with sudo may touch audit devices.
    client.sys.create_or_update_acl_policy(name="no-sudo", policy='path "sys/audit/*" { capabilities = ["create", "update"] }')
    weak = server.client(client.auth.token.create(policies=["no-sudo"])["auth"]["client_token"])
    with pytest.raises(hvac.exceptions.Forbidden):
        weak.sys.enable_audit_device(device_type="file", path="w", options={"file_path": str(tmp_path / "w.log")})


class Peer:
    """A TCP audit peer that can go away and come back on the same port."""

    def __init__(self):
        self.port = None
        self.lines = []
        self.start()

    def start(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port or 0))
        self.port = self.sock.getsockname()[1]
        self.sock.listen()
        self.running = True
        self.conns = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self.read, args=(conn,), daemon=True).start()

    def read(self, conn):
        buffer = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                self.lines.append(line)

    def stop(self):
        self.running = False
        for conn in self.conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
        # shutdown() wakes the thread blocked in accept(); close() alone would leave it listening.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(timeout=5)
        time.sleep(0.2)


def test_socket_device_fails_closed_and_recovers(server):
    peer = Peer()
    client = server.client()
    client.sys.enable_audit_device(device_type="socket", path="sock", options={"address": f"127.0.0.1:{peer.port}", "socket_type": "tcp"})
    client.secrets.kv.v2.create_or_update_secret(path="sock/before", secret={"v": "1"})
    # The entry is in the peer's socket once the write returned; its reader thread may lag.
    deadline = time.time() + 5
    while not any(b"sock/before" in line for line in peer.lines) and time.time() < deadline:
        time.sleep(0.02)
    assert any(b"sock/before" in line for line in peer.lines)

    peer.stop()
    refused = 0
    for i in range(5):
        r = server.http("POST", f"secret/data/sock/while-down-{i}", json={"data": {"v": str(i)}})
        if r.status_code == 500:
            refused += 1
        else:
            pytest.fail(f"write {i} was accepted without an audit peer: {r.status_code}")
    assert refused == 5

    peer.start()
    client.secrets.kv.v2.create_or_update_secret(path="sock/after", secret={"v": "2"})
    keys = client.secrets.kv.v2.list_secrets(path="sock")["data"]["keys"]
    assert sorted(keys) == ["after", "before"], "only acknowledged writes exist"
    peer.stop()


def test_file_device_fails_closed_and_recovers(server, tmp_path):
    directory = tmp_path / "logs"
    directory.mkdir()
    log = directory / "audit.log"
    client = server.client()
    client.sys.enable_audit_device(device_type="file", path="f", options={"file_path": str(log)})
    client.secrets.kv.v2.create_or_update_secret(path="file/before", secret={"v": "1"})
    # The directory vanishes and the server is told to reopen its files.
    shutil.rmtree(directory)
    server.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    r = server.http("POST", "secret/data/file/while-broken", json={"data": {"v": "x"}})
    assert r.status_code == 500 and "audit" in r.json()["errors"][0]
    directory.mkdir()
    client.secrets.kv.v2.create_or_update_secret(path="file/after", secret={"v": "2"})
    assert sorted(client.secrets.kv.v2.list_secrets(path="file")["data"]["keys"]) == ["after", "before"]
    assert "file/after" in log.read_text()


def test_chain_verifies_and_names_tampering(server, tmp_path):
    log = tmp_path / "chain.log"
    client = server.client()
    client.sys.enable_audit_device(device_type="file", path="chain", options={"file_path": str(log)})
    for i in range(6):
        client.secrets.kv.v2.create_or_update_secret(path=f"chain/{i}", secret={"v": str(i)})
    client.sys.disable_audit_device(path="chain")
    ok = verify(log)
    assert ok.returncode == 0 and "chain intact" in ok.stdout
    original = log.read_text().splitlines(keepends=True)

    edited = list(original)
    edited[3] = edited[3].replace('"operation":"', '"operation":"x')
    log.write_text("".join(edited))
    out = verify(log)
    assert out.returncode != 0 and "line 5" in out.stderr and "line 4" in out.stderr

    removed = original[:4] + original[5:]
    log.write_text("".join(removed))
    out = verify(log)
    assert out.returncode != 0 and "line 5" in out.stderr

    forged = json.loads(original[3])
    forged["request"]["path"] = "secret/data/forged"
    import hashlib
    forged["prev_hash"] = hashlib.sha256(original[3].rstrip("\n").encode()).hexdigest()
    inserted = original[:4] + [json.dumps(forged, separators=(",", ":")) + "\n"] + original[4:]
    log.write_text("".join(inserted))
    out = verify(log)
    assert out.returncode != 0 and "line 6" in out.stderr


def test_rotation_starts_a_chain_that_names_the_old_one(server, tmp_path):
    log = tmp_path / "rot.log"
    client = server.client()
    client.sys.enable_audit_device(device_type="file", path="rot", options={"file_path": str(log)})
    client.secrets.kv.v2.create_or_update_secret(path="rot/a", secret={"v": "1"})
    rotated = tmp_path / "rot.log.1"
    log.rename(rotated)
    server.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    client.secrets.kv.v2.create_or_update_secret(path="rot/b", secret={"v": "2"})
    import hashlib
    last_old = rotated.read_text().splitlines()[-1]
    first_new = json.loads(log.read_text().splitlines()[0])
    assert first_new["prev_hash"] == hashlib.sha256(last_old.encode()).hexdigest()
    assert verify(rotated).returncode == 0
    new = verify(log)
    assert new.returncode == 0 and hashlib.sha256(last_old.encode()).hexdigest() in new.stdout


def test_audit_declared_in_config(tmp_path):
    from production import ProductionServer
    log = tmp_path / "declared.log"
    seal = f'audit "file" "declared" {{\n  file_path = "{log}"\n}}\nunsafe_allow_api_audit_creation = false\n'
    server = ProductionServer(tmp_path, seal=seal).start()
    try:
        init = server.init(1, 1)
        server.unseal(init["unseal_keys_b64"])
        root = init["root_token"]
        assert "declared/" in server.get("sys/audit", root).json()["data"]
        r = server.request("PUT", "sys/audit/extra", root, json={"type": "file", "options": {"file_path": str(tmp_path / "e.log")}})
        assert r.status_code == 400 and "cannot enable audit device via API" in r.json()["errors"][0]
        assert server.request("DELETE", "sys/audit/declared", root).status_code == 400
        server.get("auth/token/lookup-self", root)
        assert "auth/token/lookup-self" in log.read_text()
    finally:
        server.stop()

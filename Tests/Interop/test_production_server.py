"""`tresor server -config`: SQLite storage, Shamir init and unseal, restarts, crashes, auto-unseal, TLS."""
import base64
import json
import signal
import os
import subprocess
import threading
import time
from pathlib import Path

import hvac
import pytest
import requests

from conftest import BAO_BIN, TRESOR_BIN
from production import ProductionServer, make_tls


@pytest.fixture
def workdir(tmp_path):
    return tmp_path


def test_init_unseal_restart_keeps_everything(workdir):
    server = ProductionServer(workdir).start()
    try:
        assert server.get("sys/health").status_code == 501
        status = server.get("sys/seal-status").json()
        assert status["initialized"] is False

        init = server.init(5, 3)
        keys, root = init["unseal_keys_b64"], init["root_token"]
        assert len(keys) == 5 and len(set(keys)) == 5
        assert server.get("sys/seal-status").json()["sealed"] is True
        assert server.get("sys/health").status_code == 503
        server.unseal([keys[0], keys[2], keys[4]])
        assert server.get("sys/health").status_code == 200

        ok = lambda r: r.returncode == 0 or pytest.fail(r.stderr)
        ok(server.bao("secrets", "enable", "-path=secret", "kv-v2", token=root))
        ok(server.bao("kv", "put", "secret/app", "v=1", token=root))
        ok(server.bao("kv", "put", "secret/app", "v=2", token=root))
        ok(server.bao("policy", "write", "app", "-", token=root, stdin='path "secret/data/app" { capabilities = ["read"] }'))
        token = json.loads(server.bao("token", "create", "-policy=app", "-format=json", token=root).stdout)["auth"]["client_token"]
        before = {
            "v1": server.get("secret/data/app?version=1", root).json()["data"],
            "v2": server.get("secret/data/app", root).json()["data"],
            "meta": server.get("secret/metadata/app", root).json()["data"],
            "policy": server.get("sys/policies/acl/app", root).json()["data"]["policy"],
            "token": server.get("auth/token/lookup-self", token).json()["data"]["policies"],
        }
    finally:
        server.stop()

    server.start()
    try:
        assert server.get("sys/seal-status").json()["sealed"] is True
        sealed = server.get("secret/data/app", root)
        assert sealed.status_code == 503 and sealed.json()["errors"] == ["Vault is sealed"]
        wrong = server.bao("operator", "unseal", base64.b64encode(os.urandom(33)).decode())
        assert server.get("sys/seal-status").json()["sealed"] is True
        server.bao("operator", "unseal", "-reset")
        server.unseal([keys[1], keys[3], keys[4]])
        after = {
            "v1": server.get("secret/data/app?version=1", root).json()["data"],
            "v2": server.get("secret/data/app", root).json()["data"],
            "meta": server.get("secret/metadata/app", root).json()["data"],
            "policy": server.get("sys/policies/acl/app", root).json()["data"]["policy"],
            "token": server.get("auth/token/lookup-self", token).json()["data"]["policies"],
        }
        assert after == before
        assert server.get("secret/data/app", token).status_code == 200
        assert server.get("secret/metadata/app", token).status_code == 403
    finally:
        server.stop()

    # Nothing written reached the disk in plaintext.
    for path in workdir.joinpath("data").iterdir():
        blob = path.read_bytes()
        for needle in [root, token, "secret/data/app", 'capabilities = ["read"]']:
            assert needle.encode() not in blob, f"{needle!r} found in {path.name}"


def test_wrong_unseal_keys_are_refused(workdir):
    server = ProductionServer(workdir).start()
    try:
        init = server.init(3, 2)
        bogus = base64.b64encode(os.urandom(33)).decode()
        out = server.bao("operator", "unseal", init["unseal_keys_b64"][0])
        assert out.returncode == 0
        assert server.get("sys/seal-status").json()["progress"] == 1
        out = server.bao("operator", "unseal", bogus)
        assert out.returncode == 2 and "failed to decrypt" in out.stderr
        assert server.get("sys/seal-status").json()["sealed"] is True
        r = server.request("PUT", "sys/unseal", json={"key": "not base64 !!"})
        assert r.status_code == 400
        # Without a key, both CLIs ask at a terminal and refuse a pipe; Tresor's reads "-" from
        # standard input (for `kubectl exec -i` into an image without a shell).
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(server.dir), "VAULT_ADDR": server.addr}
        for binary in (TRESOR_BIN, BAO_BIN):
            refused = subprocess.run([binary, "operator", "unseal"], input=init["unseal_keys_b64"][1] + "\n", capture_output=True,
                                     text=True, env=env, timeout=60)
            assert refused.returncode != 0 and "not a terminal" in refused.stdout + refused.stderr
        piped = subprocess.run([TRESOR_BIN, "operator", "unseal", "-"], input=init["unseal_keys_b64"][1] + "\n", capture_output=True,
                               text=True, env=env, timeout=60)
        assert piped.returncode == 0, piped.stderr
        assert server.get("sys/seal-status").json()["progress"] == 1
        server.bao("operator", "unseal", "-reset")
        server.unseal(init["unseal_keys_b64"][1:3])
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def crash_storage(request, workdir):
    """The server's storage stanza for the crash test: embedded SQLite, or a real PostgreSQL."""
    if request.param == "sqlite":
        yield None
        return
    from postgres_cluster import PostgresCluster
    cluster = PostgresCluster()
    try:
        yield f'storage "postgresql" {{\n  connection_url = "{cluster.url}"\n}}'
    finally:
        cluster.stop()


def test_crash_loses_no_acknowledged_write(workdir, crash_storage):
    """kill -9 under write load, three rounds of 4 writers and one of 64 (so that group commits
    are large when the kill lands): every acknowledged write is there after the restart."""
    server = ProductionServer(workdir, storage=crash_storage).start()
    init = server.init(1, 1)
    key, root = init["unseal_keys_b64"][0], init["root_token"]
    server.unseal([key])
    server.request("POST", "sys/mounts/secret", root, json={"type": "kv", "options": {"version": "2"}})
    acknowledged = []
    try:
        for round_, writers in enumerate([4, 4, 4, 64]):
            stop = threading.Event()

            def writer(worker):
                session = requests.Session()
                i = 0
                while not stop.is_set():
                    path = f"crash/r{round_}/w{worker}/{i}"
                    try:
                        r = session.post(f"{server.addr}/v1/secret/data/{path}", headers={"X-Vault-Token": root},
                                         json={"data": {"n": i, "round": round_}}, timeout=5)
                    except requests.RequestException:
                        return
                    if r.status_code == 200:
                        acknowledged.append((path, i))
                    i += 1

            threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
            for t in threads:
                t.start()
            time.sleep(1.5)
            server.kill9()
            stop.set()
            for t in threads:
                t.join()
            server.start()
            server.unseal([key])
            for path, n in acknowledged:
                r = server.get(f"secret/data/{path}", root)
                assert r.status_code == 200, f"acknowledged write {path} lost after kill -9"
                assert r.json()["data"]["data"]["n"] == n
        assert len([p for p, _ in acknowledged if p.startswith("crash/r3/")]) > 64
        # Everything stored still opens: list and read every secret written.
        listed = server.request("LIST", "secret/metadata/crash/r0/w0/", root)
        assert listed.status_code == 200
    finally:
        server.stop()


def test_static_seal_unseals_itself(workdir):
    key = base64.b64encode(os.urandom(32)).decode()
    seal = 'seal "static" {\n  current_key_id = "k1"\n  current_key = "env://TRESOR_TEST_SEAL_KEY"\n}'
    server = ProductionServer(workdir, seal=seal, extra_env={"TRESOR_TEST_SEAL_KEY": key}).start()
    try:
        out = server.bao("operator", "init", "-recovery-shares=3", "-recovery-threshold=2", "-format=json")
        assert out.returncode == 0, out.stderr
        init = json.loads(out.stdout)
        assert len(init["recovery_keys_b64"]) == 3 and init["unseal_keys_b64"] == []
        server.wait_unsealed()
        status = server.get("sys/seal-status").json()
        assert status["type"] == "static" and status["recovery_seal"] is True
        root = init["root_token"]
        server.request("POST", "sys/mounts/secret", root, json={"type": "kv-v2"})
        server.request("POST", "secret/data/s", root, json={"data": {"x": "y"}})
    finally:
        server.stop()
    server.start()
    try:
        server.wait_unsealed()
        assert server.get("secret/data/s", root).json()["data"]["data"] == {"x": "y"}
    finally:
        server.stop()
    # The wrong key leaves it sealed, and the log says why.
    server.env["TRESOR_TEST_SEAL_KEY"] = base64.b64encode(os.urandom(32)).decode()
    server.start()
    try:
        time.sleep(2)
        assert server.get("sys/seal-status").json()["sealed"] is True
        assert "does not open the root key" in server.log_path.read_text()
    finally:
        server.stop()


@pytest.mark.parametrize("provider_name", ["openbao", "tresor"])
def test_transit_seal(workdir, request, provider_name):
    """Auto-unseal through the transit engine of another server: OpenBao's, or a second Tresor's."""
    provider = request.getfixturevalue(provider_name)
    bao = provider.client()
    if "transit/" not in bao.sys.list_mounted_secrets_engines()["data"]:
        bao.sys.enable_secrets_engine("transit")
    bao.secrets.transit.create_key(name="tresor-unseal")
    seal = f'seal "transit" {{\n  address = "{provider.addr}"\n  token = "{provider.token}"\n  key_name = "tresor-unseal"\n  mount_path = "transit/"\n}}'
    server = ProductionServer(workdir, seal=seal).start()
    try:
        out = server.bao("operator", "init", "-recovery-shares=1", "-recovery-threshold=1", "-format=json")
        assert out.returncode == 0, out.stderr
        root = json.loads(out.stdout)["root_token"]
        server.wait_unsealed()
        assert server.get("sys/seal-status").json()["type"] == "transit"
    finally:
        server.stop()
    server.start()
    try:
        server.wait_unsealed()
        assert server.get("auth/token/lookup-self", root).status_code == 200
    finally:
        server.stop()
    # With the key gone from transit, the server stays sealed and says why.
    bao.secrets.transit.update_key_configuration(name="tresor-unseal", deletion_allowed=True)
    bao.secrets.transit.delete_key(name="tresor-unseal")
    server.start()
    try:
        time.sleep(2)
        assert server.get("sys/seal-status").json()["sealed"] is True
        assert "transit seal" in server.log_path.read_text()
    finally:
        server.stop()


def test_tls_listener(workdir):
    tls = make_tls(workdir)
    server = ProductionServer(workdir, tls=tls).start()
    try:
        init = server.init(1, 1)
        server.unseal(init["unseal_keys_b64"])
        out = server.bao("status", token=init["root_token"])
        assert out.returncode == 0, out.stderr
        client = hvac.Client(url=server.addr, token=init["root_token"], verify=tls[2])
        assert client.sys.read_health_status(method="GET")["initialized"] is True
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(server.addr + "/v1/sys/health", timeout=5)
        # The tresor CLI verifies with VAULT_CACERT / -ca-cert too, and refuses an unknown CA.
        env = dict(os.environ, HOME=str(workdir), VAULT_ADDR=server.addr, VAULT_TOKEN=init["root_token"])
        env.pop("VAULT_CACERT", None)
        ok_cli = subprocess.run([TRESOR_BIN, "status", f"-ca-cert={tls[2]}"], capture_output=True, text=True, env=env, timeout=30)
        assert ok_cli.returncode == 0, ok_cli.stderr
        refused = subprocess.run([TRESOR_BIN, "status"], capture_output=True, text=True, env=env, timeout=30)
        assert refused.returncode == 1 and "Error checking seal status" in refused.stderr
        skipped = subprocess.run([TRESOR_BIN, "status", "-tls-skip-verify"], capture_output=True, text=True, env=env, timeout=30)
        assert skipped.returncode == 0
    finally:
        server.stop()


def run_bad(workdir, config_text, env=None):
    config = workdir / "bad.hcl"
    config.write_text(config_text)
    result = subprocess.run([TRESOR_BIN, "server", f"-config={config}"], capture_output=True, text=True, timeout=30,
                            env=dict(os.environ, HOME=str(workdir), **(env or {})))
    assert result.returncode != 0
    return result.stderr + result.stdout


def test_bad_configs_fail_clearly(workdir):
    out = run_bad(workdir, f'storage "sqlite" {{\n  path = "{workdir}/db"\n}}\nlistner "tcp" {{\n  address = "127.0.0.1:0"\n}}\n')
    assert "bad.hcl" in out and "line 4" in out and "listner" in out
    out = run_bad(workdir, 'storage "sqlite" {\n  path = "/nonexistent/dir/tresor.db"\n}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n')
    assert "/nonexistent/dir" in out and "does not exist" in out
    out = run_bad(workdir, 'storage "sqlite" {\n  path = "x"\n\nlistener "tcp" {}\n')
    assert "bad.hcl" in out and "line" in out
    tls_a = make_tls(workdir)
    other = workdir / "other"
    other.mkdir()
    tls_b = make_tls(other)
    out = run_bad(workdir, f'storage "sqlite" {{\n  path = "{workdir}/db2"\n}}\nlistener "tcp" {{\n  address = "127.0.0.1:0"\n  tls_cert_file = "{tls_a[0]}"\n  tls_key_file = "{tls_b[1]}"\n}}\n')
    assert "tls_cert_file" in out and "tls_key_file" in out
    assert not (workdir / "db2").exists(), "a refused start must leave no storage behind"
    out = run_bad(workdir, f'storage "sqlite" {{\n  path = "{workdir}/db3"\n}}\nlistener "tcp" {{\n  address = "127.0.0.1:0"\n}}\n')
    assert "tls_cert_file and tls_key_file are required" in out
    out = run_bad(workdir, f'cache_size = -5\nstorage "sqlite" {{\n  path = "{workdir}/db4"\n}}\nlistener "tcp" {{\n  address = "127.0.0.1:0"\n  tls_disable = true\n}}\n')
    assert "cache_size" in out and "line 1" in out


def test_postgresql_storage(workdir):
    from postgres_cluster import PostgresCluster
    cluster = PostgresCluster()
    try:
        storage = f'storage "postgresql" {{\n  connection_url = "{cluster.url}"\n  table = "tresor_store"\n}}'
        server = ProductionServer(workdir, storage=storage).start()
        try:
            init = server.init(3, 2)
            keys, root = init["unseal_keys_b64"], init["root_token"]
            server.unseal(keys[:2])
            server.request("POST", "sys/mounts/secret", root, json={"type": "kv-v2"})
            assert server.request("POST", "secret/data/pg", root, json={"data": {"password": "pg-plaintext-canary"}}).status_code == 200
        finally:
            server.stop()
        server.start()
        try:
            assert server.get("sys/seal-status").json()["storage_type"] == "postgresql"
            server.unseal(keys[1:])
            assert server.get("secret/data/pg", root).json()["data"]["data"] == {"password": "pg-plaintext-canary"}
        finally:
            server.stop()
        dump = cluster.psql("SELECT key, encode(value, 'escape') FROM tresor_store")
        assert "core/keyring" in dump
        assert "pg-plaintext-canary" not in dump and root not in dump
    finally:
        cluster.stop()


def test_json_config_and_several_files_merge(workdir):
    from conftest import free_port
    port = free_port()
    (workdir / "storage.hcl").write_text(f'storage "raft" {{\n  path = "{workdir}"\n  node_id = "n1"\n}}\ndefault_lease_ttl = "1h"\nmax_lease_ttl = "2h"\ncache_size = 1000\n')
    (workdir / "listener.json").write_text(json.dumps({"listener": [{"tcp": {"address": f"127.0.0.1:{port}", "tls_disable": True}}],
                                                       "disable_mlock": True, "disable_cache": True}))
    proc = subprocess.Popen([TRESOR_BIN, "server", f"-config={workdir / 'storage.hcl'}", f"-config={workdir / 'listener.json'}"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(os.environ, HOME=str(workdir)))
    try:
        addr = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(addr + "/v1/sys/health", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        init = requests.put(addr + "/v1/sys/init", json={"secret_shares": 1, "secret_threshold": 1}).json()
        requests.put(addr + "/v1/sys/unseal", json={"key": init["keys_base64"][0]}).raise_for_status()
        headers = {"X-Vault-Token": init["root_token"]}
        # The config's TTLs are the server's defaults.
        token = requests.post(addr + "/v1/auth/token/create", headers=headers, json={"policies": ["default"]}).json()["auth"]
        assert token["lease_duration"] == 3600
        capped = requests.post(addr + "/v1/auth/token/create", headers=headers, json={"policies": ["default"], "ttl": "5h"}).json()["auth"]
        assert capped["lease_duration"] == 7200
        assert (workdir / "tresor.db").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_rotate_keeps_old_values_readable_across_restart(workdir):
    server = ProductionServer(workdir).start()
    try:
        init = server.init(1, 1)
        key, root = init["unseal_keys_b64"][0], init["root_token"]
        server.unseal([key])
        server.request("POST", "sys/mounts/kv", root, json={"type": "kv"})
        server.request("PUT", "kv/before", root, json={"v": "old-term"})
        status = json.loads(server.bao("operator", "key-status", "-format=json", token=root).stdout)
        assert status["term"] == 1
        out = server.bao("operator", "rotate", token=root)
        assert out.returncode == 0, out.stderr
        assert json.loads(server.bao("operator", "key-status", "-format=json", token=root).stdout)["term"] == 2
        server.request("PUT", "kv/after", root, json={"v": "new-term"})
        # Rotation needs sudo.
        plain = server.request("POST", "auth/token/create", root, json={"policies": ["default"]}).json()["auth"]["client_token"]
        assert server.request("PUT", "sys/rotate", plain).status_code == 403
    finally:
        server.stop()
    server.start()
    try:
        server.unseal([key])
        assert server.get("kv/before", root).json()["data"] == {"v": "old-term"}
        assert server.get("kv/after", root).json()["data"] == {"v": "new-term"}
        assert server.get("sys/key-status", root).json()["term"] == 2
    finally:
        server.stop()


@pytest.mark.parametrize("initialised", [False, True])
def test_sigterm_closes_storage_and_exits_cleanly(workdir, initialised):
    """SIGTERM: the listeners drain, the clockwork stops, SQLite is closed, and the exit is 0."""
    server = ProductionServer(workdir).start()
    if initialised:
        init = server.init(1, 1)
        server.unseal(init["unseal_keys_b64"])
    proc = server.proc
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0, server.log_path.read_text()[-2000:]
    assert "Assertion failed" not in server.log_path.read_text()
    server.proc = None

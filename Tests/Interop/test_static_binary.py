"""The static binary alone: copied into an empty directory and run under chroot there, it runs
`tresor version` and serves as a dev server. This is what proves the container image (scratch plus
CA certificates plus this binary; see Dockerfile) needs nothing else.

The one thing beside it is what every container runtime mounts itself: /proc. The Swift runtime
finds its own path through /proc/self/exe before main runs, and aborts without it."""
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from conftest import ROOT, free_port

CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"
STATIC_BIN = os.environ.get("TRESOR_STATIC_BIN", str(ROOT / ".build" / "debug" / "tresor-static"))

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("chroot") or not shutil.which("unshare"),
                                reason="chroot and mount namespaces need root")


def in_chroot(root, *args):
    """`tresor args` under chroot in `root`, with /proc mounted there as a container runtime does."""
    script = f'mount -t proc proc "{root}/proc" && exec "{CHROOT}" "{root}" /tresor "$@"'
    return [shutil.which("unshare"), "-m", "sh", "-c", script, "sh", *args]


def test_the_binary_is_static():
    out = subprocess.run(["ldd", STATIC_BIN], capture_output=True, text=True)
    assert "not a dynamic executable" in (out.stdout + out.stderr), out.stdout
    assert not subprocess.run(["readelf", "-l", STATIC_BIN], capture_output=True, text=True).stdout.count("INTERP")


def test_version_and_dev_server_run_alone_under_chroot(tmp_path):
    root = tmp_path / "empty"
    root.mkdir()
    shutil.copy(STATIC_BIN, root / "tresor")
    assert sorted(os.listdir(root)) == ["tresor"]
    (root / "proc").mkdir()
    version = subprocess.run(in_chroot(root, "version"), capture_output=True, text=True, env={}, timeout=30)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("Tresor v"), version.stdout

    port = free_port()
    log = open(tmp_path / "server.log", "w+")
    server = subprocess.Popen(in_chroot(root, "server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{port}"),
                              stdout=log, stderr=subprocess.STDOUT, env={})
    try:
        address = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            assert server.poll() is None, Path(tmp_path / "server.log").read_text()
            try:
                if requests.get(address + "/v1/sys/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        headers = {"X-Vault-Token": "root"}
        written = requests.post(address + "/v1/secret/data/chroot", json={"data": {"alone": "yes"}}, headers=headers, timeout=5)
        assert written.status_code == 200, written.text
        read = requests.get(address + "/v1/secret/data/chroot", headers=headers, timeout=5).json()
        assert read["data"]["data"] == {"alone": "yes"}
        # A transit key exercises the crypto libraries linked in.
        assert requests.post(address + "/v1/sys/mounts/transit", json={"type": "transit"}, headers=headers, timeout=5).status_code == 204
        encrypted = requests.post(address + "/v1/transit/encrypt/k", json={"plaintext": "aGVsbG8="}, headers=headers, timeout=5).json()
        assert encrypted["data"]["ciphertext"].startswith("vault:v1:")
    finally:
        server.terminate()
        assert server.wait(timeout=15) == 0, Path(tmp_path / "server.log").read_text()

"""Fixtures that start real servers: a `tresor` dev server and an OpenBao dev server.

Both run on free loopback ports with their own HOME, so the token helper file each writes
never leaks between them or into the developer's own ~/.vault-token.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import hvac
import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
TRESOR_BIN = os.environ.get("TRESOR_BIN", str(ROOT / ".build" / "debug" / "tresor"))
BAO_BIN = os.environ.get("BAO_BIN", shutil.which("bao") or str(ROOT / ".venv" / "bin" / "bao"))
ROOT_TOKEN = "root"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running server: its address, root token and a way to drive the `bao` CLI against it."""

    def __init__(self, name, command, port, home):
        self.name = name
        self.addr = f"http://127.0.0.1:{port}"
        self.token = ROOT_TOKEN
        self.home = home
        self.log = open(Path(home) / "server.log", "w+")
        env = dict(os.environ, HOME=home)
        self.proc = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited early:\n{self.output()}")
            try:
                if requests.get(self.addr + "/v1/sys/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{name} did not become healthy:\n{self.output()}")

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    def client(self, token=None) -> hvac.Client:
        return hvac.Client(url=self.addr, token=token if token is not None else self.token)

    def http(self, method, path, token=None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        use = self.token if token is None else token
        if use:
            headers.setdefault("X-Vault-Token", use)
        return requests.request(method, self.addr + "/v1/" + path.lstrip("/"), headers=headers, timeout=10, **kwargs)

    def bao(self, *args, token=None, stdin=None, env=None) -> subprocess.CompletedProcess:
        """Runs the real `bao` CLI against this server."""
        full_env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": self.home,
            "VAULT_ADDR": self.addr,
            "VAULT_TOKEN": self.token if token is None else token,
        }
        full_env.update(env or {})
        return subprocess.run([BAO_BIN, *args], input=stdin, capture_output=True, text=True, env=full_env, timeout=60)


def start_tresor(home) -> Server:
    port = free_port()
    return Server("tresor", [TRESOR_BIN, "server", "-dev", f"-dev-root-token-id={ROOT_TOKEN}",
                             f"-dev-listen-address=127.0.0.1:{port}"], port, home)


def start_openbao(home) -> Server:
    port = free_port()
    return Server("openbao", [BAO_BIN, "server", "-dev", f"-dev-root-token-id={ROOT_TOKEN}",
                              f"-dev-listen-address=127.0.0.1:{port}"], port, home)


@pytest.fixture(scope="module")
def tresor():
    home = tempfile.mkdtemp(prefix="tresor-home-")
    server = start_tresor(home)
    yield server
    server.stop()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def openbao():
    home = tempfile.mkdtemp(prefix="openbao-home-")
    server = start_openbao(home)
    yield server
    server.stop()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(params=["tresor", "openbao"])
def any_server(request):
    """The same test against both servers: Tresor must behave as the reference does."""
    return request.getfixturevalue(request.param)

"""Helpers for tests of `tresor server -config`: config files, start/stop/kill, init and unseal."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from conftest import BAO_BIN, TRESOR_BIN, free_port


class ProductionServer:
    def __init__(self, workdir: Path, seal: str = "", extra_env=None, tls=None, storage=None, listener_extra: str = "",
                 client_cert=None, extra_config: str = ""):
        self.dir = workdir
        self.port = free_port()
        self.tls = tls
        scheme = "https" if tls else "http"
        self.addr = f"{scheme}://127.0.0.1:{self.port}"
        self.db = workdir / "data" / "tresor.db"
        (workdir / "data").mkdir(exist_ok=True)
        listener = f'tls_cert_file = "{tls[0]}"\n  tls_key_file = "{tls[1]}"' if tls else "tls_disable = 1"
        listener += "\n  " + listener_extra
        self.client_cert = client_cert
        self.config = workdir / "config.hcl"
        storage = storage or f'storage "sqlite" {{\n  path = "{self.db}"\n}}'
        self.config.write_text(f'''
{storage}

listener "tcp" {{
  address = "127.0.0.1:{self.port}"
  {listener}
}}

{seal}
api_addr = "{self.addr}"
disable_mlock = true
ui = true
{extra_config}
''')
        self.env = dict(os.environ, HOME=str(workdir), **(extra_env or {}))
        self.proc = None
        self.log_path = workdir / "server.log"

    def start(self, expect_sealed=None):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen([TRESOR_BIN, "server", f"-config={self.config}"], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("tresor exited:\n" + self.log_path.read_text())
            try:
                self.get("sys/seal-status")
                return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("tresor did not start:\n" + self.log_path.read_text())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def verify(self):
        return self.tls[2] if self.tls else True

    def get(self, path, token=None):
        headers = {"X-Vault-Token": token} if token else {}
        return requests.get(f"{self.addr}/v1/{path}", headers=headers, timeout=10, verify=self.verify(), cert=self.client_cert)

    def request(self, method, path, token=None, **kwargs):
        headers = {"X-Vault-Token": token} if token else {}
        return requests.request(method, f"{self.addr}/v1/{path}", headers=headers, timeout=10, verify=self.verify(),
                                cert=self.client_cert, **kwargs)

    def bao(self, *args, token="", stdin=None):
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(self.dir), "VAULT_ADDR": self.addr, "VAULT_TOKEN": token}
        if self.tls:
            env["VAULT_CACERT"] = self.tls[2]
        if self.client_cert:
            env["VAULT_CLIENT_CERT"], env["VAULT_CLIENT_KEY"] = self.client_cert
        return subprocess.run([BAO_BIN, *args], input=stdin, capture_output=True, text=True, env=env, timeout=60)

    def wait_unsealed(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.get("sys/seal-status").json()["sealed"]:
                return
            time.sleep(0.2)
        raise AssertionError("server did not unseal by itself:\n" + self.log_path.read_text())

    def init(self, shares=5, threshold=3):
        out = self.bao("operator", "init", f"-key-shares={shares}", f"-key-threshold={threshold}", "-format=json")
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    def unseal(self, keys):
        for key in keys:
            out = self.bao("operator", "unseal", key)
            assert out.returncode == 0, out.stderr
        assert self.get("sys/seal-status").json()["sealed"] is False


def make_client_cert(directory: Path, name="client"):
    """A client certificate signed by the CA that make_tls made in the same directory."""
    key, csr, cert = directory / f"{name}.key", directory / f"{name}.csr", directory / f"{name}.pem"
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={name}")
    run("x509", "-req", "-in", str(csr), "-CA", str(directory / "ca.pem"), "-CAkey", str(directory / "ca.key"),
        "-CAcreateserial", "-out", str(cert), "-days", "2")
    return str(cert), str(key)


def make_tls(directory: Path):
    """A CA and a server certificate for 127.0.0.1, made with openssl."""
    ca_key, ca_cert = directory / "ca.key", directory / "ca.pem"
    key, csr, cert = directory / "server.key", directory / "server.csr", directory / "server.pem"
    ext = directory / "ext.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca_cert), "-days", "2", "-subj", "/CN=Tresor Test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", "/CN=127.0.0.1")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key), "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(ext))
    return str(cert), str(key), str(ca_cert)

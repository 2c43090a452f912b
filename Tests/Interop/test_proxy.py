"""HTTP(S)_PROXY and NO_PROXY for Tresor's clients (the CLI and the agent), by Go's rules as Vault's
clients follow them: the scheme's variable, no proxy for loopback addresses or NO_PROXY hosts.
The server listens on this machine's non-loopback address, since loopback never goes through a
proxy; a CONNECT proxy in the test records what passed through it."""
import select
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests

from agent_helpers import approle_stanza, run_once
from conftest import TRESOR_BIN, free_port


def outward_address():
    """This machine's address on its default route, or None (then the test cannot run here)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


class ConnectProxy:
    """An HTTP proxy that only tunnels (CONNECT), as Tresor's client uses proxies."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.targets = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.tunnel, args=(client,), daemon=True).start()

    def tunnel(self, client):
        with client:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            method, target = head.split(b" ")[:2]
            if method != b"CONNECT":
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            self.targets.append(target.decode())
            host, port = target.decode().rsplit(":", 1)
            with socket.create_connection((host, int(port))) as upstream:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                sockets = [client, upstream]
                while True:
                    ready, _, _ = select.select(sockets, [], [], 30)
                    if not ready:
                        return
                    for source in ready:
                        data = source.recv(65536)
                        if not data:
                            return
                        (upstream if source is client else client).sendall(data)

    def close(self):
        self.listener.close()


@pytest.fixture(scope="module")
def outward_server():
    address = outward_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to serve on")
    port = free_port()
    home = tempfile.mkdtemp(prefix="tresor-proxy-")
    proc = subprocess.Popen([TRESOR_BIN, "server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address={address}:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={"HOME": home, "PATH": "/usr/bin:/bin"})
    url = f"http://{address}:{port}"
    for _ in range(200):
        try:
            if requests.get(url + "/v1/sys/health", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.05)
    yield url, address, port
    proc.terminate()
    proc.wait(timeout=20)


def cli(url, extra_env, *args):
    env = {"PATH": "/usr/bin:/bin", "HOME": tempfile.mkdtemp(), "VAULT_ADDR": url, "VAULT_TOKEN": "root", **extra_env}
    return subprocess.run([TRESOR_BIN, *args], capture_output=True, text=True, env=env, timeout=60)


def test_the_cli_goes_through_http_proxy_unless_no_proxy_names_the_host(outward_server):
    url, address, port = outward_server
    proxy = ConnectProxy()
    try:
        via = cli(url, {"HTTP_PROXY": f"http://127.0.0.1:{proxy.port}"}, "token", "lookup")
        assert via.returncode == 0, via.stderr
        assert proxy.targets == [f"{address}:{port}"]
        # HTTPS_PROXY is for https addresses only; NO_PROXY (host, or a wildcard) bypasses the proxy.
        for extra in ({"HTTPS_PROXY": f"http://127.0.0.1:{proxy.port}"},
                      {"HTTP_PROXY": f"http://127.0.0.1:{proxy.port}", "NO_PROXY": f"example.com, {address}"},
                      {"http_proxy": f"http://127.0.0.1:{proxy.port}", "no_proxy": "*"}):
            direct = cli(url, extra, "token", "lookup")
            assert direct.returncode == 0, direct.stderr
        assert len(proxy.targets) == 1
        # A proxy that is not there is an error, not a silent direct connection.
        broken = cli(url, {"HTTP_PROXY": f"http://127.0.0.1:{free_port()}"}, "token", "lookup")
        assert broken.returncode != 0
        refused = cli(url, {"HTTP_PROXY": "socks5://127.0.0.1:1080"}, "token", "lookup")
        assert refused.returncode != 0 and "http://" in refused.stderr + refused.stdout
    finally:
        proxy.close()


def test_the_agent_logs_in_and_renders_through_the_proxy(outward_server, tmp_path):
    url, address, port = outward_server
    root = {"X-Vault-Token": "root"}

    def call(method, path, body=None):
        reply = requests.request(method, f"{url}/v1/{path}", headers=root, json=body, timeout=10)
        assert reply.status_code < 400, reply.text
        return reply.json() if reply.text else {}

    call("POST", "sys/auth/approle", {"type": "approle"})
    call("PUT", "sys/policies/acl/proxied", {"policy": 'path "secret/data/app" { capabilities = ["read"] }'})
    call("POST", "auth/approle/role/proxied", {"token_policies": ["proxied"]})
    (tmp_path / "role_id").write_text(call("GET", "auth/approle/role/proxied/role-id")["data"]["role_id"])
    (tmp_path / "secret_id").write_text(call("POST", "auth/approle/role/proxied/secret-id")["data"]["secret_id"])
    call("POST", "secret/data/app", {"data": {"api_key": "VIA-PROXY"}})
    config = tmp_path / "agent.hcl"
    config.write_text(f'vault {{ address = "{url}" }}\nexit_after_auth = true\n'
                      + approle_stanza(tmp_path / "role_id", tmp_path / "secret_id", tmp_path / "token")
                      + f'template {{\n  destination = "{tmp_path / "out"}"\n'
                      + '  contents = "{{ with secret \\"secret/data/app\\" }}{{ .Data.data.api_key }}{{ end }}"\n}\n')
    proxy = ConnectProxy()
    try:
        server = type("Target", (), {"addr": url, "home": str(tmp_path)})()
        code, output, _ = run_once(TRESOR_BIN, config, server, extra_env={"HTTP_PROXY": f"http://127.0.0.1:{proxy.port}"})
        assert code == 0, output
        assert (tmp_path / "out").read_text() == "VIA-PROXY"
        assert proxy.targets and all(target == f"{address}:{port}" for target in proxy.targets)
    finally:
        proxy.close()

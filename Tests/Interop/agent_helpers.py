"""Running `tresor agent` and `bao agent` side by side on the same configuration."""
import os
import subprocess
import time
from pathlib import Path

from conftest import BAO_BIN, TRESOR_BIN


def agent_env(server, extra=None):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": server.home, "VAULT_ADDR": server.addr}
    env.update(extra or {})
    return env


def run_once(binary, config: Path, server, timeout=60, extra_env=None):
    """An agent with exit_after_auth: its exit status, stderr and how long it took."""
    started = time.time()
    out = subprocess.run([binary, "agent", f"-config={config}"], capture_output=True, text=True,
                         env=agent_env(server, extra_env), timeout=timeout)
    return out.returncode, out.stderr + out.stdout, time.time() - started


def start(binary, config: Path, server, log: Path, extra_env=None):
    return subprocess.Popen([binary, "agent", f"-config={config}"], stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            env=agent_env(server, extra_env))


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def approle(server, name, policies="agent-read", ttl="1h", max_ttl="4h", directory: Path = None):
    """An AppRole role with role-id and secret-id files; returns their paths."""
    if "approle/" not in server.client().sys.list_auth_methods()["data"]:
        assert server.bao("auth", "enable", "approle").returncode == 0
    out = server.bao("write", f"auth/approle/role/{name}", f"token_policies={policies}", f"token_ttl={ttl}", f"token_max_ttl={max_ttl}")
    assert out.returncode == 0, out.stderr
    role_id = server.bao("read", "-field=role_id", f"auth/approle/role/{name}/role-id").stdout.strip()
    secret_id = server.bao("write", "-f", "-field=secret_id", f"auth/approle/role/{name}/secret-id").stdout.strip()
    (directory / f"{name}.role_id").write_text(role_id + "\n")
    (directory / f"{name}.secret_id").write_text(secret_id + "\n")
    return directory / f"{name}.role_id", directory / f"{name}.secret_id"


def approle_stanza(role_id, secret_id, sink):
    return f'''
auto_auth {{
  method "approle" {{
    config = {{
      role_id_file_path                   = "{role_id}"
      secret_id_file_path                 = "{secret_id}"
      remove_secret_id_file_after_reading = false
    }}
  }}
  sink "file" {{
    config = {{ path = "{sink}" }}
  }}
}}
'''


def wait_for(predicate, timeout=30, interval=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False

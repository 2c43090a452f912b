"""A throwaway 3-member etcd cluster (Debian's etcd-server) on loopback ports, stopped by PID."""
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from conftest import free_port


class EtcdCluster:
    def __init__(self, members=3):
        self.dir = Path(tempfile.mkdtemp(prefix="tresor-etcd-"))
        self.members = [{"name": f"m{i}", "client": free_port(), "peer": free_port()} for i in range(members)]
        self.initial = ",".join(f"{m['name']}=http://127.0.0.1:{m['peer']}" for m in self.members)
        self.procs = {}
        for member in self.members:
            self.start(member["name"])
        self.wait_healthy()

    @property
    def address(self):
        return ",".join(f"http://127.0.0.1:{m['client']}" for m in self.members)

    def start(self, name):
        member = next(m for m in self.members if m["name"] == name)
        client, peer = f"http://127.0.0.1:{member['client']}", f"http://127.0.0.1:{member['peer']}"
        # --max-txn-ops: a request's batch is one etcd transaction, and some batches are large.
        self.procs[name] = subprocess.Popen(
            ["etcd", "--name", name, "--data-dir", str(self.dir / name), "--listen-client-urls", client, "--advertise-client-urls", client,
             "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", self.initial,
             "--initial-cluster-state", "new", "--initial-cluster-token", "tresor-test", "--max-txn-ops", "10000"],
            stdout=open(self.dir / f"{name}.log", "a"), stderr=subprocess.STDOUT)

    def kill9(self, name):
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait()

    def wait_healthy(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if all(requests.get(f"http://127.0.0.1:{m['client']}/health", timeout=1).json().get("health") == "true"
                       for m in self.members if self.procs[m["name"]].poll() is None):
                    return
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.2)
        raise RuntimeError("etcd did not become healthy")

    def stop(self):
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

"""HA benchmark: three nodes on one store — Tresor on PostgreSQL, Tresor on etcd, OpenBao on
PostgreSQL — measuring failover time (kill -9 of the active to the first acknowledged write through
a survivor, median of N runs) and KV throughput through a standby against the active itself.
Writes docs/benchmarks-ha.md. Usage: scripts/bench-ha.sh [--runs N] [--seconds S]"""
import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "Interop"))
from conftest import free_port  # noqa: E402
from etcd_cluster import EtcdCluster  # noqa: E402
from postgres_cluster import PostgresCluster, pg_bin  # noqa: E402

SCRIPTS = Path(__file__).resolve().parent / "wrk"
VAULT_TABLES = """
CREATE TABLE IF NOT EXISTS vault_kv_store (parent_path TEXT COLLATE "C" NOT NULL, path TEXT COLLATE "C", key TEXT COLLATE "C",
  value BYTEA, CONSTRAINT pkey PRIMARY KEY (path, key));
CREATE INDEX IF NOT EXISTS parent_path_idx ON vault_kv_store (parent_path);
CREATE TABLE IF NOT EXISTS vault_ha_locks (ha_key TEXT COLLATE "C" NOT NULL, ha_identity TEXT COLLATE "C" NOT NULL,
  ha_value TEXT COLLATE "C", valid_until TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT ha_key PRIMARY KEY (ha_key));
"""


class Node:
    def __init__(self, binary, storage, workdir):
        self.binary, self.dir = binary, Path(workdir)
        self.port, self.cluster_port = free_port(), free_port()
        self.addr = f"http://127.0.0.1:{self.port}"
        self.config = self.dir / "config.hcl"
        self.config.write_text(f'''{storage}
listener "tcp" {{
  address = "127.0.0.1:{self.port}"
  cluster_address = "127.0.0.1:{self.cluster_port}"
  tls_disable = 1
}}
api_addr = "{self.addr}"
cluster_addr = "https://127.0.0.1:{self.cluster_port}"
disable_mlock = true
''')
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([self.binary, "server", f"-config={self.config}"], stdout=open(self.dir / "log", "a"),
                                     stderr=subprocess.STDOUT, env=dict(os.environ, HOME=str(self.dir)))
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                requests.get(self.addr + "/v1/sys/seal-status", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("node did not start: " + (self.dir / "log").read_text()[-2000:])

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None

    def unseal(self, keys):
        for key in keys:
            requests.put(self.addr + "/v1/sys/unseal", json={"key": key}, timeout=10)


def is_active(node):
    try:
        return requests.get(node.addr + "/v1/sys/health", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def wait_active(nodes, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for node in nodes:
            if node.proc and is_active(node):
                return node
        time.sleep(0.1)
    raise RuntimeError("no active node")


def wrk(url, script, seconds, token):
    args = ["wrk", "-t", "2", "-c", "16", "-d", f"{seconds}s", "-H", f"X-Vault-Token: {token}"]
    if script:
        args += ["-s", str(SCRIPTS / script)]
    out = subprocess.run(args + [url], capture_output=True, text=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} failed requests")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def measure(name, binary, storage, runs, seconds):
    work = Path(tempfile.mkdtemp(prefix=f"ha-{name.replace(' ', '-')}-"))
    nodes = []
    for i in range(3):
        (work / f"n{i}").mkdir()
        nodes.append(Node(binary, storage, work / f"n{i}"))
    try:
        for node in nodes:
            node.start()
        init = requests.put(nodes[0].addr + "/v1/sys/init", json={"secret_shares": 5, "secret_threshold": 3}, timeout=30).json()
        keys, token = init["keys"][:3], init["root_token"]
        for node in nodes:
            node.unseal(keys)
        leader = wait_active(nodes)
        # The wrk scripts send the token "root", as for the dev servers of scripts/bench.sh.
        requests.post(leader.addr + "/v1/auth/token/create", headers={"X-Vault-Token": token},
                      json={"id": "root", "policies": ["root"], "no_parent": True}, timeout=30).raise_for_status()
        token = "root"
        headers = {"X-Vault-Token": token}
        requests.post(leader.addr + "/v1/sys/mounts/secret", headers=headers, json={"type": "kv", "options": {"version": "2"}}, timeout=30)
        requests.post(leader.addr + "/v1/secret/data/bench", headers=headers, json={"data": {"v": "x" * 32}}, timeout=30).raise_for_status()
        standby = next(n for n in nodes if n is not leader)
        result = {
            "KV v2 write via active req/s": wrk(leader.addr + "/v1/secret/data/bench-write", "write.lua", seconds, token),
            "KV v2 write via standby req/s": wrk(standby.addr + "/v1/secret/data/bench-write", "write.lua", seconds, token),
            "KV v2 read via active req/s": wrk(leader.addr + "/v1/secret/data/bench", None, seconds, token),
            "KV v2 read via standby req/s": wrk(standby.addr + "/v1/secret/data/bench", None, seconds, token),
        }
        failovers = []
        for run in range(runs):
            leader = wait_active(nodes)
            survivors = [n for n in nodes if n is not leader]
            killed = time.time()
            leader.kill9()
            done = False
            while not done and time.time() - killed < 120:
                for node in survivors:
                    try:
                        r = requests.post(node.addr + f"/v1/secret/data/failover-{run}", headers=headers, json={"data": {"r": run}}, timeout=2)
                        if r.status_code == 200:
                            done = True
                            break
                    except requests.RequestException:
                        pass
                time.sleep(0.02)
            failovers.append(time.time() - killed)
            leader.start()
            leader.unseal(keys)
            time.sleep(2)
        result["failover s (median)"] = statistics.median(failovers)
        return result
    finally:
        for node in nodes:
            try:
                node.stop()
            except Exception:
                if node.proc:
                    node.proc.kill()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tresor", required=True)
    parser.add_argument("--bao", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    results = {}
    pg = PostgresCluster()
    try:
        url = f"postgres://{pg.user}:{pg.password}@127.0.0.1:{pg.port}/postgres?sslmode=disable"
        results["Tresor, PostgreSQL"] = measure("tresor pg", args.tresor, f'storage "postgresql" {{\n connection_url = "{url}"\n ha_enabled = "true"\n table = "tresor_bench"\n ha_table = "tresor_bench_locks"\n}}', args.runs, args.seconds)
        subprocess.run(pg.as_user + [pg_bin("psql"), "-h", str(pg.dir), "-p", str(pg.port), "-U", pg.user, "-d", "postgres", "-c", VAULT_TABLES],
                       check=True, capture_output=True)
        results["OpenBao, PostgreSQL"] = measure("bao pg", args.bao, f'storage "postgresql" {{\n connection_url = "{url}"\n ha_enabled = "true"\n}}', args.runs, args.seconds)
    finally:
        pg.stop()
    etcd = EtcdCluster()
    try:
        results["Tresor, etcd"] = measure("tresor etcd", args.tresor, f'storage "etcd" {{\n address = "{etcd.address}"\n ha_enabled = "true"\n}}', args.runs, args.seconds)
    finally:
        etcd.stop()
    measures = list(next(iter(results.values())).keys())
    lines = ["| measure | " + " | ".join(results) + " |", "|---|" + "---:|" * len(results)]
    for measure_name in measures:
        lines.append(f"| {measure_name} | " + " | ".join(f"{r[measure_name]:,.2f}" for r in results.values()) + " |")
    ratios = "\n".join(f"- {name}: writes through a standby at {r['KV v2 write via standby req/s'] / r['KV v2 write via active req/s']:.2f}× the active, "
                       f"reads at {r['KV v2 read via standby req/s'] / r['KV v2 read via active req/s']:.2f}×" for name, r in results.items())
    table = "\n".join(lines)
    print(table)
    print(ratios)
    (ROOT / "docs" / "benchmarks-ha.md").write_text(f"""# HA benchmark

Produced by `scripts/bench-ha.sh` on {time.strftime('%Y-%m-%d')}: three nodes of each kind on one machine (2 cores), sharing one
PostgreSQL 15 cluster or a 3-member etcd cluster on loopback. wrk with 2 threads and 16 connections,
{args.seconds}s per throughput row. Failover: `kill -9` of the active node until a write through a surviving node
is acknowledged, median of {args.runs} runs (the killed node restarts and rejoins between runs).

{table}

{ratios}
""")


if __name__ == "__main__":
    main()

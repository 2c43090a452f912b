"""Side by side on the storage production uses, not dev mode's memory: Tresor on SQLite against
OpenBao on raft (each a single node with its data on this machine's disk), and Tresor against
OpenBao on the same PostgreSQL cluster. Both servers are started with `server -config`,
initialised and unsealed here. Rounds alternate between the two servers so the ratio holds on a
noisy machine. Prints the table as Markdown (scripts/bench.sh puts it in docs/benchmarks.md).

Usage: storage_bench.py --tresor BIN --bao BIN [--rounds N] [--seconds S]"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "Interop"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TRESOR_BIN", "tresor")
from conftest import free_port  # noqa: E402
from postgres_cluster import PostgresCluster  # noqa: E402
from side_by_side import wrk  # noqa: E402

# OpenBao's PostgreSQL backend expects its tables to exist (Tresor creates its own).
OPENBAO_TABLES = """
CREATE TABLE IF NOT EXISTS vault_kv_store (parent_path TEXT COLLATE "C" NOT NULL, path TEXT COLLATE "C", key TEXT COLLATE "C",
  value BYTEA, CONSTRAINT pkey PRIMARY KEY (path, key));
CREATE INDEX IF NOT EXISTS parent_path_idx ON vault_kv_store (parent_path);
"""

WORKLOADS = [
    ("KV v2 write (16 conns)", "/v1/secret/data/bench-write", "write.lua", 16),
    ("KV v2 write (64 conns)", "/v1/secret/data/bench-write", "write.lua", 64),
    ("token create (16 conns)", "/v1/auth/token/create", "token_create.lua", 16),
    ("userpass login (16 conns)", "/v1/auth/userpass/login/bench", "userpass_login.lua", 16),
    ("KV v2 read (16 conns)", "/v1/secret/data/bench", None, 16),
]


class ConfiguredServer:
    """`server -config` with the given storage: initialised (one key share), unsealed, and given
    a token whose id is `root`, so the wrk scripts of the dev-mode benchmark serve unchanged."""

    def __init__(self, name, binary, storage):
        self.name = name
        self.dir = Path(tempfile.mkdtemp(prefix=f"storage-bench-{name}-"))
        self.port, cluster_port = free_port(), free_port()
        self.addr = f"http://127.0.0.1:{self.port}"
        config = self.dir / "config.hcl"
        config.write_text(f'''{storage.replace("DATA", str(self.dir / "data"))}
listener "tcp" {{
  address = "127.0.0.1:{self.port}"
  cluster_address = "127.0.0.1:{cluster_port}"
  tls_disable = 1
}}
api_addr = "{self.addr}"
cluster_addr = "https://127.0.0.1:{cluster_port}"
disable_mlock = true
''')
        (self.dir / "data").mkdir()
        self.binary, self.config = binary, config
        self.launch()
        init = requests.post(self.addr + "/v1/sys/init", json={"secret_shares": 1, "secret_threshold": 1}, timeout=60).json()
        self.unseal_key = init["keys_base64"][0]
        self.unseal()
        self.token = init["root_token"]
        self.write("auth/token/create", {"id": "root", "policies": ["root"], "no_parent": True})
        self.token = "root"
        self.write("sys/mounts/secret", {"type": "kv", "options": {"version": "2"}})
        self.write("secret/data/bench", {"data": {"user": "app", "password": "x" * 32}})
        self.write("sys/auth/userpass", {"type": "userpass"})
        self.write("auth/userpass/users/bench", {"password": "bench-password", "token_ttl": "1h"})

    def launch(self):
        self.proc = subprocess.Popen([self.binary, "server", f"-config={self.config}"], stdout=open(self.dir / "log", "a"),
                                     stderr=subprocess.STDOUT, env=dict(os.environ, HOME=str(self.dir)))
        self.wait(lambda: requests.get(self.addr + "/v1/sys/seal-status", timeout=1).status_code == 200)

    def unseal(self):
        requests.post(self.addr + "/v1/sys/unseal", json={"key": self.unseal_key}, timeout=60).raise_for_status()
        self.wait(lambda: requests.get(self.addr + "/v1/sys/health", timeout=1).status_code == 200)

    def restart(self):
        """Starts the stopped server again on its data and unseals it."""
        self.launch()
        self.unseal()
        return self

    def wait(self, ready, timeout=90):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if ready():
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not come up:\n{(self.dir / 'log').read_text()[-3000:]}")

    def write(self, path, body):
        r = requests.post(f"{self.addr}/v1/{path}", headers={"X-Vault-Token": self.token}, json=body, timeout=60)
        if r.status_code >= 400:
            raise RuntimeError(f"{self.name}: {path}: {r.status_code} {r.text}")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def compare(pair, rounds, seconds):
    results = {}
    for name, path, script, conns in WORKLOADS:
        for _ in range(rounds):
            for server in pair:
                rps, p99, errors = wrk(server, path, script, conns, seconds)
                entry = results.setdefault(name, {}).setdefault(server.name, {"rps": [], "p99": [], "errors": 0})
                entry["rps"].append(rps)
                entry["p99"].append(p99)
                entry["errors"] += errors
    return results


def table(title, results, tresor, openbao):
    lines = [f"#### {title}", "",
             f"| workload | {tresor} req/s | {openbao} req/s | ratio | {tresor} p99 | {openbao} p99 | p99 ratio |",
             "|---|---|---|---|---|---|---|"]
    for name, by_server in results.items():
        t, o = by_server[tresor], by_server[openbao]
        t_rps, o_rps = statistics.median(t["rps"]), statistics.median(o["rps"])
        t_p99, o_p99 = statistics.median(t["p99"]), statistics.median(o["p99"])
        errors = "" if not (t["errors"] or o["errors"]) else f" (non-2xx: {t['errors']} / {o['errors']})"
        ratio = f"{t_rps / o_rps:.2f}×" if o_rps else "–"
        p99_ratio = f"{t_p99 / o_p99:.2f}×" if o_p99 else "–"
        lines.append(f"| {name}{errors} | {t_rps:,.0f} | {o_rps:,.0f} | {ratio} | {t_p99:.1f} ms | {o_p99:.1f} ms | {p99_ratio} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tresor", required=True)
    parser.add_argument("--bao", required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--only", choices=["local", "postgresql"])
    parser.add_argument("--report", help="the Markdown file whose production-storage section to replace")
    args = parser.parse_args()
    out = []

    pairs = []
    if args.only in (None, "local"):
        raft = 'storage "raft" {\n  path = "DATA"\n  node_id = "bench"\n}'
        pairs.append(("Tresor on SQLite against OpenBao on raft (the same `storage \"raft\"` stanza)", lambda: (raft, None)))
    if args.only in (None, "postgresql"):
        def postgresql():
            cluster = PostgresCluster()
            cluster.psql(OPENBAO_TABLES)
            return f'storage "postgresql" {{\n  connection_url = "{cluster.url}"\n}}', cluster
        pairs.append(("Tresor and OpenBao on the same PostgreSQL 15 cluster", postgresql))
    for title, prepare in pairs:
        storage, cluster = prepare()
        try:
            servers = [ConfiguredServer("tresor", args.tresor, storage), ConfiguredServer("openbao", args.bao, storage)]
            try:
                results = compare(servers, args.rounds, args.seconds)
            finally:
                for server in servers:
                    server.stop()
            out.append(table(title, results, "tresor", "openbao"))
        finally:
            if cluster:
                cluster.stop()

    section = "\n\n".join(out)
    print(section)
    if args.report:
        write_report(Path(args.report), section, args)


def write_report(report, tables, args):
    """Puts the production-storage section into docs/benchmarks.md, replacing the last run's."""
    heading = "## Production storage"
    body = f"""{heading}

Produced by `Benchmarks/storage_bench.py` (run by `scripts/bench.sh`) on {time.strftime('%Y-%m-%d')}: both servers
started with `server -config`, initialised and unsealed (no dev mode), {args.rounds} alternating rounds of
{args.seconds}s per row, medians. These are the figures that hold in production; the dev-mode table
above keeps everything in memory on both sides and says nothing about durable writes.

Durability is the same on both sides: a write is acknowledged only once it is synced to disk. Tresor's
SQLite runs in WAL mode with `synchronous=FULL`. Commits that arrive while a sync is in flight are
gathered into one transaction with one sync (group commit, `Sources/TresorStorage/GroupCommit.swift`):
the group's batches are folded into one upsert and one delete, each request's batch atomic inside the
transaction, and should the group fail each batch is retried alone so a bad batch fails by itself. No
request is answered before the sync of its group returns. On PostgreSQL a group is one transaction of
two statements (`synchronous_commit` on, the server's default). OpenBao's raft appends and syncs its log
before it answers.

{tables}
"""
    replace_section(report, heading, body)


def replace_section(report, heading, body):
    """Puts `body` (which starts with `heading`) in place of that section of the Markdown file,
    or at its end: each benchmark rewrites its own section only."""
    text = report.read_text() if report.exists() else ""
    if heading in text:
        start = text.index(heading)
        rest = text[start + len(heading):]
        following = rest.find("\n## ")
        text = text[:start] + body + (rest[following + 1:] if following >= 0 else "")
    else:
        text = text.rstrip() + "\n\n" + body
    report.write_text(text)


if __name__ == "__main__":
    main()

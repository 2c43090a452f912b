"""Runs the same workloads against a Tresor and an OpenBao dev server, alternating A/B rounds so
the ratio holds on a noisy machine, and reports throughput, p99 latency, start-up time and memory."""
import argparse
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = Path(__file__).resolve().parent / "wrk"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Server:
    def __init__(self, name, binary):
        self.name = name
        self.port = free_port()
        self.addr = f"http://127.0.0.1:{self.port}"
        self.home = tempfile.mkdtemp(prefix=f"bench-{name}-")
        started = time.monotonic()
        self.proc = subprocess.Popen([binary, "server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{self.port}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, HOME=self.home))
        while True:
            try:
                if requests.get(self.addr + "/v1/sys/health", timeout=0.5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() - started > 60:
                raise RuntimeError(f"{name} did not start")
            time.sleep(0.005)
        self.startup = time.monotonic() - started
        time.sleep(1)
        self.idle_rss = rss_kib(self.proc.pid)
        headers = {"X-Vault-Token": "root"}
        requests.post(self.addr + "/v1/secret/data/bench", headers=headers, json={"data": {"user": "app", "password": "x" * 32}}).raise_for_status()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=20)
        shutil.rmtree(self.home, ignore_errors=True)


WORKLOADS = [
    ("KV v2 read (16 conns)", "GET", "/v1/secret/data/bench", None, 16),
    ("KV v2 read (64 conns)", "GET", "/v1/secret/data/bench", None, 64),
    ("KV v2 write", "POST", "/v1/secret/data/bench-write", "write.lua", 16),
    ("token lookup-self", "GET", "/v1/auth/token/lookup-self", None, 16),
    ("token create", "POST", "/v1/auth/token/create", "token_create.lua", 16),
]


def wrk(server, method, path, script, conns, seconds):
    args = ["wrk", "-t", "2", "-c", str(conns), "-d", f"{seconds}s", "--latency", "-H", "X-Vault-Token: root"]
    if script:
        args += ["-s", str(SCRIPTS / script)]
    out = subprocess.run(args + [server.addr + path], capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, float(p99.group(1)) * scale, int(errors.group(1)) if errors else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tresor", required=True)
    parser.add_argument("--bao", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()

    tresor, bao = Server("tresor", args.tresor), Server("openbao", args.bao)
    results = {}
    try:
        for name, method, path, script, conns in WORKLOADS:
            for _ in range(args.rounds):
                for server in (tresor, bao):
                    rps, p99, errors = wrk(server, method, path, script, conns, args.seconds)
                    entry = results.setdefault(name, {}).setdefault(server.name, {"rps": [], "p99": [], "errors": 0})
                    entry["rps"].append(rps)
                    entry["p99"].append(p99)
                    entry["errors"] += errors
        after = {s.name: rss_kib(s.proc.pid) for s in (tresor, bao)}
        startup = {s.name: s.startup for s in (tresor, bao)}
        idle = {s.name: s.idle_rss for s in (tresor, bao)}
    finally:
        tresor.stop()
        bao.stop()

    rows = []
    for name, by_server in results.items():
        t, b = by_server["tresor"], by_server["openbao"]
        rows.append((f"{name} req/s", statistics.median(t["rps"]), statistics.median(b["rps"])))
        rows.append((f"{name} p99 ms", statistics.median(t["p99"]), statistics.median(b["p99"])))
        if t["errors"] or b["errors"]:
            rows.append((f"{name} non-2xx", t["errors"], b["errors"]))
    rows.append(("start-up to healthy s", startup["tresor"], startup["openbao"]))
    rows.append(("idle RSS MiB", idle["tresor"] / 1024, idle["openbao"] / 1024))
    rows.append(("RSS after load MiB", after["tresor"] / 1024, after["openbao"] / 1024))

    lines = ["| measure | Tresor | OpenBao | Tresor / OpenBao |", "|---|---:|---:|---:|"]
    for label, ours, theirs in rows:
        ratio = ours / theirs if theirs else float("nan")
        lines.append(f"| {label} | {ours:,.2f} | {theirs:,.2f} | {ratio:.2f} |")
    table = "\n".join(lines)
    print(table)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB, {platform.platform()}"
    report = ROOT / "docs" / "benchmarks.md"
    report.write_text(f"""# Benchmarks: Tresor and OpenBao side by side

Produced by `scripts/bench.sh` on {time.strftime('%Y-%m-%d')}: both servers in dev mode on loopback, wrk with
2 threads, {args.rounds} alternating rounds of {args.seconds}s per workload (medians shown).

Machine: {machine}

{table}
""")


if __name__ == "__main__":
    main()

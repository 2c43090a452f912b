"""How cost grows with the count of live leases (issue 22): Tresor on SQLite against OpenBao on
raft, both started with `server -config`, initialised and unsealed, driven over HTTP.

For each server the live token count grows through the steps given (tokens with 24 h TTLs, the
leases of a misbehaving client); at each step it records the resident memory, the size of the
data on disk and, after a restart, the time from the unseal request to the first KV read served.
At the first step it also measures KV read p99 idle and while short-lived tokens expire (about
10,000 a minute); at the last step it times `revoke-prefix` of 100,000 tokens. Results go to a
JSON file and, with --report, to docs/scale.md with plots (matplotlib).

Usage: scale_bench.py --tresor BIN --bao BIN [--tresor-steps 100000,1000000] [--bao-steps 100000]
                      [--json out.json] [--report docs/scale.md]"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from side_by_side import SCRIPTS, wrk  # noqa: E402
from storage_bench import ConfiguredServer  # noqa: E402

RAFT = 'storage "raft" {\n  path = "DATA"\n  node_id = "scale"\n}'
SQLITE = 'storage "sqlite" {\n  path = "DATA/tresor.db"\n}'


def rss_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def disk_mib(path):
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / (1024 * 1024)


def create_tokens(server, count, path="/v1/auth/token/create", ttl=(86400, 86400), conns=32):
    """About `count` tokens as fast as the server takes them; returns (seconds, non-200s)."""
    started = time.time()
    out = subprocess.run(["wrk", "-t", "1", "-c", str(conns), "-d", "7200s", "-s", str(SCRIPTS / "token_create_n.lua"),
                          server.addr + path, "--", str(count), path, str(ttl[0]), str(ttl[1])],
                         capture_output=True, text=True, timeout=7300).stderr
    made = re.search(r"made (\d+) failed (\d+)", out)
    if not made:
        raise RuntimeError(f"{server.name}: token creation did not finish: {out[-2000:]}")
    return time.time() - started, int(made.group(2))


def time_to_serve(server):
    """Restarts the server on its data; seconds from the unseal request to the first KV read."""
    server.stop()
    server.launch()
    started = time.time()
    requests.post(server.addr + "/v1/sys/unseal", json={"key": server.unseal_key}, timeout=3600).raise_for_status()
    session = requests.Session()
    while True:
        try:
            r = session.get(server.addr + "/v1/secret/data/bench", headers={"X-Vault-Token": "root"}, timeout=3600)
            if r.status_code == 200:
                return time.time() - started
        except requests.RequestException:
            pass
        time.sleep(0.005)


def kv_p99(server, seconds=10):
    rps, p99, _ = wrk(server, "/v1/secret/data/bench", None, 16, seconds)
    return rps, p99


def measure(name, binary, steps, storage, log, args):
    server = ConfiguredServer(name, binary, storage)
    server.write("auth/token/roles/scale", {"allowed_policies": ["default"], "orphan": True})
    data_dir = server.dir / "data"
    points, extra = [], {}
    have = 0
    try:
        for index, target in enumerate(steps):
            added = target - have
            seconds, errors = create_tokens(server, added)
            log(f"{name}: {added:,} tokens in {seconds:.0f}s ({added / seconds:,.0f}/s, non-2xx {errors})")
            have = target
            time.sleep(2)
            point = {"leases": target, "create_per_s": added / seconds, "create_errors": errors,
                     "rss_mib": rss_mib(server.proc.pid), "disk_mib": disk_mib(data_dir)}
            point["serve_after_unseal_s"] = time_to_serve(server)
            time.sleep(5)
            point["rss_after_restart_mib"] = rss_mib(server.proc.pid)
            log(f"{name} @ {target:,}: {json.dumps(point)}")
            points.append(point)
            if index == 0:
                extra.update(expiry_load(server, log, args.short))
        extra.update(revoke_prefix(server, log, args.revoked if name == "tresor" else args.bao_revoked))
    finally:
        server.stop()
    return {"points": points, **extra}


def expiry_load(server, log, short):
    """KV read p99 idle, then while short-lived tokens expire about 10,000 a minute."""
    idle = [kv_p99(server) for _ in range(3)]
    minutes = short / 10_000
    seconds, errors = create_tokens(server, short, ttl=(60, int(60 + minutes * 60)))
    log(f"{server.name}: {short:,} short-lived tokens in {seconds:.0f}s")
    # Creation took part of the first minute; expiry is under way from here on.
    time.sleep(max(0, 75 - seconds))
    busy = [kv_p99(server) for _ in range(3)]
    result = {"kv_idle_rps": statistics.median(r for r, _ in idle), "kv_idle_p99_ms": statistics.median(p for _, p in idle),
              "kv_expiring_rps": statistics.median(r for r, _ in busy), "kv_expiring_p99_ms": statistics.median(p for _, p in busy)}
    log(f"{server.name} expiry load: {json.dumps(result)}")
    return result


def revoke_prefix(server, log, revoked):
    seconds, errors = create_tokens(server, revoked, path="/v1/auth/token/create/scale")
    log(f"{server.name}: {revoked:,} role tokens in {seconds:.0f}s")
    started = time.time()
    r = requests.put(server.addr + "/v1/sys/leases/revoke-prefix/auth/token/create/scale", headers={"X-Vault-Token": "root"}, timeout=7200)
    took = time.time() - started
    log(f"{server.name}: revoke-prefix of {revoked:,}: {r.status_code} in {took:.1f}s")
    return {"revoke_prefix_s": took, "revoke_prefix_status": r.status_code, "revoked": revoked}


def plot(results, out_dir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    files = []
    for key, label, filename in [("serve_after_unseal_s", "time from unseal to first KV read (s)", "scale-unseal.png"),
                                 ("rss_after_restart_mib", "resident memory after restart (MiB)", "scale-rss.png")]:
        fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
        for name, data in results.items():
            xs = [p["leases"] for p in data["points"]]
            ys = [p[key] for p in data["points"]]
            ax.plot(xs, ys, marker="o", label=name)
        ax.set_xscale("log")
        ax.set_xlabel("live leases (service tokens)")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(out_dir / filename)
        plt.close(fig)
        files.append(filename)
    return files


def report(results, path, args):
    images = plot(results, path.parent)
    lines = ["# Scale: live leases against start-up, memory and revocation", "",
             f"Produced by `scripts/scale.sh` (`Benchmarks/scale_bench.py`) on {time.strftime('%Y-%m-%d')}, on this "
             "machine (2 cores, 23 GiB). Tresor on SQLite and OpenBao on raft, each one node started with "
             "`server -config`, initialised and unsealed; tokens with 24 h TTLs are the live leases (every service "
             "token is a lease on both). \"Serve after unseal\" is the time from the unseal request to the first KV "
             "read answered after a restart on the same data.", "",
             "| server | live leases | created/s | RSS (MiB) | RSS after restart (MiB) | data on disk (MiB) | serve after unseal (s) |",
             "|---|---|---|---|---|---|---|"]
    for name, data in results.items():
        for p in data["points"]:
            lines.append(f"| {name} | {p['leases']:,} | {p['create_per_s']:,.0f} | {p['rss_mib']:.0f} | {p['rss_after_restart_mib']:.0f} "
                         f"| {p['disk_mib']:,.0f} | {p['serve_after_unseal_s']:.2f} |")
    lines += ["", "| server | KV read p99 idle | KV read p99 while ~10k leases/min expire | revoke-prefix of tokens |", "|---|---|---|---|"]
    for name, data in results.items():
        lines.append(f"| {name} | {data.get('kv_idle_p99_ms', 0):.1f} ms ({data.get('kv_idle_rps', 0):,.0f} req/s) "
                     f"| {data.get('kv_expiring_p99_ms', 0):.1f} ms ({data.get('kv_expiring_rps', 0):,.0f} req/s) "
                     f"| {data.get('revoked', 0):,} in {data.get('revoke_prefix_s', 0):.1f} s (HTTP {data.get('revoke_prefix_status')}) |")
    lines += ["", *[f"![{image}]({image})" for image in images], ""]
    if args.notes:
        lines += [Path(args.notes).read_text()]
    path.write_text("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tresor", required=True)
    parser.add_argument("--bao", required=True)
    parser.add_argument("--tresor-steps", default="100000,1000000")
    parser.add_argument("--bao-steps", default="100000")
    parser.add_argument("--json", default="scale-results.json")
    parser.add_argument("--report")
    parser.add_argument("--short", type=int, default=100_000, help="short-lived tokens expiring during the KV read test")
    parser.add_argument("--revoked", type=int, default=100_000, help="tokens revoked by one revoke-prefix")
    parser.add_argument("--bao-revoked", type=int, default=20_000,
                        help="the same for OpenBao (it revokes about 150 a second here: 100,000 would take ten minutes)")
    parser.add_argument("--notes", help="Markdown appended to the report (what the run could not reach, and why)")
    args = parser.parse_args()
    lock = threading.Lock()

    def log(message):
        with lock:
            print(time.strftime("%H:%M:%S"), message, flush=True)
    results = {}
    runs = [("tresor", args.tresor, args.tresor_steps, SQLITE), ("openbao", args.bao, args.bao_steps, RAFT)]
    for name, binary, steps, storage in runs:
        counts = [int(s) for s in steps.split(",") if s]
        if counts:
            results[name] = measure(name, binary, counts, storage, log, args)
            Path(args.json).write_text(json.dumps(results, indent=2))
    if args.report:
        report(results, Path(args.report), args)


if __name__ == "__main__":
    main()

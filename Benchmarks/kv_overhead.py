"""Storage overhead per KV v2 version on production storage: Tresor on SQLite against OpenBao on
raft, the same writes to both. Writes N new secrets (one version each), then N more versions of
N/10 secrets, stops the server (so SQLite checkpoints its WAL and raft flushes), and divides the
growth of the data directory by the number of versions written. Prints a Markdown table.

Usage: kv_overhead.py --tresor BIN --bao BIN [--count N] [--value-bytes B]"""
import argparse
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from storage_bench import ConfiguredServer  # noqa: E402

RAFT = 'storage "raft" {\n  path = "DATA"\n  node_id = "bench"\n}'


def size(directory):
    return sum(f.stat().st_size for f in Path(directory).rglob("*") if f.is_file())


def write_all(server, paths, value):
    def one(path):
        session = requests.Session()
        r = session.post(f"{server.addr}/v1/secret/data/{path}", headers={"X-Vault-Token": "root"}, json={"data": {"v": value}}, timeout=60)
        r.raise_for_status()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, paths))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tresor", required=True)
    parser.add_argument("--bao", required=True)
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--value-bytes", type=int, default=100)
    args = parser.parse_args()
    value = "x" * args.value_bytes
    rows = []
    for name, binary in (("tresor", args.tresor), ("openbao", args.bao)):
        server = ConfiguredServer(name, binary, RAFT)
        data = server.dir / "data"
        try:
            server.stop()
            base = size(data)
            server = server.restart()
            write_all(server, [f"overhead/new-{i}" for i in range(args.count)], value)
            server.stop()
            after_new = size(data)
            server = server.restart()
            versions = [f"overhead/new-{i % (args.count // 10)}" for i in range(args.count)]
            write_all(server, versions, value)
            server.stop()
            after_versions = size(data)
        finally:
            if server.proc.poll() is None:
                server.stop()
        rows.append((name, (after_new - base) / args.count, (after_versions - after_new) / args.count, after_versions))
    print(f"{args.count:,} new secrets, then {args.count:,} more versions of {args.count // 10:,} of them; "
          f"values of {args.value_bytes} bytes\n")
    print("| server | bytes per new secret | bytes per added version | data directory at the end |")
    print("|---|---:|---:|---:|")
    for name, per_secret, per_version, total in rows:
        # A store that preallocates its file (bbolt under raft) shows no growth until it extends it.
        shown = [f"{v:,.0f}" if v > 0 else "– (file preallocated)" for v in (per_secret, per_version)]
        print(f"| {name} | {shown[0]} | {shown[1]} | {total / 2**20:,.1f} MiB |")


if __name__ == "__main__":
    main()

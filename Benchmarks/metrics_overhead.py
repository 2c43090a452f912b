"""What recording Vault's metrics costs: KV v2 reads (16 connections) against two Tresor dev
servers from the same binary, one recording metrics and one started with
TRESOR_DISABLE_METRICS=1 (swift-metrics without a backend: the timing calls remain, the
recording goes). Rounds alternate between the two so the ratio holds on a noisy machine.
Prints a Markdown section; with --report, puts it into docs/benchmarks.md.

Usage: metrics_overhead.py --tresor BIN [--rounds N] [--seconds S] [--report docs/benchmarks.md]"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from side_by_side import Server, wrk  # noqa: E402
from storage_bench import replace_section  # noqa: E402

HEADING = "## Metrics overhead"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tresor", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--report")
    args = parser.parse_args()
    recording = Server("tresor", args.tresor)
    os.environ["TRESOR_DISABLE_METRICS"] = "1"
    try:
        silent = Server("tresor", args.tresor)
    finally:
        del os.environ["TRESOR_DISABLE_METRICS"]
    results = {"with": [], "without": []}
    try:
        for _ in range(args.rounds):
            for label, server in (("with", recording), ("without", silent)):
                rps, p99, _ = wrk(server, "/v1/secret/data/bench", None, 16, args.seconds)
                results[label].append((rps, p99))
    finally:
        for server in (recording, silent):
            server.proc.terminate()
    with_rps = statistics.median(r for r, _ in results["with"])
    without_rps = statistics.median(r for r, _ in results["without"])
    with_p99 = statistics.median(p for _, p in results["with"])
    without_p99 = statistics.median(p for _, p in results["without"])
    cost = (1 - with_rps / without_rps) * 100
    section = f"""{HEADING}

Produced by `Benchmarks/metrics_overhead.py` (run by `scripts/bench.sh`) on {time.strftime('%Y-%m-%d')}: KV v2
reads, 16 connections, {args.rounds} alternating rounds of {args.seconds}s, medians, against two dev servers
from the same release binary, one recording Vault's metrics and one with `TRESOR_DISABLE_METRICS=1`.

| workload | with metrics req/s | without req/s | throughput cost | p99 with | p99 without |
|---|---|---|---|---|---|
| KV v2 read (16 conns) | {with_rps:,.0f} | {without_rps:,.0f} | {cost:.1f}% | {with_p99:.2f} ms | {without_p99:.2f} ms |
"""
    print(section)
    if args.report:
        replace_section(Path(args.report), HEADING, section)


if __name__ == "__main__":
    main()

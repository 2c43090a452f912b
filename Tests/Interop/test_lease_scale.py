"""Issue 22's small versions (the full runs are `scripts/scale.sh`): leases and tokens live in an
expiry index in storage, so a restart serves at once and revokes what expired meanwhile in the
background; revoke-prefix works in batches, shows its progress and finishes after a kill -9
without revoking anything twice; tokens are leases that `bao lease` sees."""
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from postgres_cluster import PostgresCluster
from production import ProductionServer


def create_tokens(server, count, ttl, workers=8):
    local = threading.local()

    def one(_):
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        r = session.post(f"{server.addr}/v1/auth/token/create", headers={"X-Vault-Token": server.root},
                         json={"ttl": ttl, "policies": ["default"]}, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()["auth"]["client_token"]

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, range(count)))


def lease_count(server, mount=None):
    r = server.request("GET", "sys/leases/count?type=all", server.root)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    return data["counts"].get(mount, 0) if mount else data["lease_count"]


def wait_for(condition, timeout=60, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def token_alive(server, token):
    return server.request("GET", "auth/token/lookup-self", token).status_code == 200


def start_production(tmp_path, storage=None):
    server = ProductionServer(tmp_path, storage=storage).start()
    init = server.init(1, 1)
    server.keys = init["unseal_keys_b64"]
    server.unseal(server.keys)
    server.root = init["root_token"]
    return server


@pytest.fixture
def sqlite_server(tmp_path):
    server = start_production(tmp_path)
    assert server.request("POST", "sys/mounts/secret", server.root, json={"type": "kv-v2"}).status_code in (200, 204)
    yield server
    server.stop()


def test_restart_serves_at_once_and_revokes_what_expired_while_down(sqlite_server):
    s = sqlite_server
    assert s.request("POST", "secret/data/app", s.root, json={"data": {"k": "v"}}).status_code == 200
    long = create_tokens(s, 1500, "24h")
    short = create_tokens(s, 300, "2s")
    assert lease_count(s) == 1801, "every service token is a lease (the root token too)"
    s.stop()
    time.sleep(3)
    s.start()
    s.unseal(s.keys)
    # Unseal read no lease: the first read is served straight away.
    r = s.request("GET", "secret/data/app", s.root)
    assert r.status_code == 200 and r.json()["data"]["data"] == {"k": "v"}
    # What expired while the server was down goes in the background.
    wait_for(lambda: lease_count(s) == 1501, what="overdue tokens revoked")
    assert not token_alive(s, short[0]) and not token_alive(s, short[-1])
    assert token_alive(s, long[0]) and token_alive(s, long[-1])
    listed = s.request("LIST", "sys/leases/lookup/auth/token/create/", s.root).json()["data"]["keys"]
    assert len(listed) == 1500


def test_revoke_prefix_revokes_token_trees_in_batches(sqlite_server):
    s = sqlite_server
    tokens = create_tokens(s, 2500, "24h")
    policy = 'path "auth/token/create" { capabilities = ["update"] }'
    assert s.request("PUT", "sys/policies/acl/creator", s.root, json={"policy": policy}).status_code == 204
    parent = s.request("POST", "auth/token/create", s.root, json={"policies": ["creator"]}).json()["auth"]["client_token"]
    child = s.request("POST", "auth/token/create", parent, json={"ttl": "1h"}).json()["auth"]["client_token"]
    assert lease_count(s, "auth/token/") == 2503
    r = requests.put(f"{s.addr}/v1/sys/leases/revoke-prefix/auth/token/create", headers={"X-Vault-Token": s.root}, timeout=300)
    assert r.status_code == 204, r.text
    assert lease_count(s) == 1, "only the root token is left"
    assert not token_alive(s, tokens[1234]) and not token_alive(s, parent) and not token_alive(s, child)
    assert token_alive(s, s.root)
    assert s.request("LIST", "sys/leases/lookup/auth/token/create/", s.root).status_code == 404


def test_revoke_prefix_in_the_background_shows_progress(sqlite_server):
    s = sqlite_server
    create_tokens(s, 2500, "24h")
    r = s.request("PUT", "sys/leases/revoke-prefix/auth/token/create", s.root, json={"sync": False})
    assert r.status_code == 202 and not r.text
    seen = []

    def done():
        data = s.request("GET", "sys/leases/count?type=all", s.root).json()["data"]
        seen.append(data)
        return data["lease_count"] == 1 and "revocations_in_progress" not in data
    wait_for(done, what="background revocation")
    counts = [d["lease_count"] for d in seen]
    assert counts == sorted(counts, reverse=True), "the count only goes down"


def test_lease_count_types(sqlite_server):
    s = sqlite_server
    irrevocable = s.request("GET", "sys/leases/count?type=irrevocable", s.root)
    assert irrevocable.status_code == 200 and irrevocable.json()["data"] == {"lease_count": 0, "counts": {}}
    listing = s.request("GET", "sys/leases?type=irrevocable", s.root)
    assert listing.status_code == 200 and listing.json()["data"] == {"lease_count": 0, "leases": []}
    for bad in ("sys/leases/count", "sys/leases/count?type=bogus", "sys/leases?type=all", "sys/leases?type=irrevocable&limit=-3"):
        r = s.request("GET", bad, s.root)
        assert r.status_code == 400 and r.json()["errors"], bad
    token = create_tokens(s, 1, "1h")[0]
    assert s.request("GET", "sys/leases/count?type=all", token).status_code == 403


def test_token_leases_through_the_cli(sqlite_server):
    s = sqlite_server
    token = create_tokens(s, 1, "1h")[0]
    keys = json.loads(s.bao("list", "-format=json", "sys/leases/lookup/auth/token/create", token=s.root).stdout)
    lease_id = "auth/token/create/" + keys[0]
    lookup = json.loads(s.bao("lease", "lookup", "-format=json", lease_id, token=s.root).stdout)["data"]
    assert lookup["id"] == lease_id and lookup["renewable"] is True and 3500 < lookup["ttl"] <= 3600
    assert set(lookup) >= {"id", "issue_time", "expire_time", "last_renewal", "renewable", "ttl"}
    renewed = json.loads(s.bao("lease", "renew", "-format=json", "-increment=2h", lease_id, token=s.root).stdout)
    assert renewed["lease_id"] == lease_id and renewed["lease_duration"] == 7200
    assert s.bao("lease", "revoke", lease_id, token=s.root).returncode == 0
    assert not token_alive(s, token)


REVOKE_LOGGED = """INSERT INTO revoked_log (name) VALUES ('{{name}}'); DROP ROLE IF EXISTS "{{name}}";"""
CREATE = """CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"""


def test_kill_during_revoke_prefix_finishes_after_restart_and_revokes_each_once(tmp_path):
    cluster = PostgresCluster()
    cluster.psql("CREATE TABLE revoked_log (name text NOT NULL)")
    s = start_production(tmp_path)
    try:
        assert s.request("POST", "sys/mounts/database", s.root, json={"type": "database"}).status_code in (200, 204)
        r = s.request("POST", "database/config/pg", s.root, json={
            "plugin_name": "postgresql-database-plugin", "allowed_roles": "*", "username": "postgres", "password": cluster.password,
            "connection_url": f"postgresql://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{cluster.port}/postgres?sslmode=disable"})
        assert r.status_code in (200, 204), r.text
        r = s.request("POST", "database/roles/app", s.root, json={
            "db_name": "pg", "creation_statements": CREATE, "revocation_statements": REVOKE_LOGGED, "default_ttl": "1h"})
        assert r.status_code in (200, 204), r.text
        # scripts/scale.sh runs this with 10,000.
        count = int(os.environ.get("TRESOR_SCALE_DB_LEASES", "600"))

        def creds(_):
            r = requests.get(f"{s.addr}/v1/database/creds/app", headers={"X-Vault-Token": s.root}, timeout=30)
            assert r.status_code == 200, r.text
            return r.json()["data"]["username"]
        with ThreadPoolExecutor(16) as pool:
            users = list(pool.map(creds, range(count)))
        assert lease_count(s, "database/") == count
        r = s.request("PUT", "sys/leases/revoke-prefix/database/creds", s.root, json={"sync": False})
        assert r.status_code == 202
        wait_for(lambda: int(cluster.psql("SELECT count(*) FROM revoked_log").strip()) >= count // 3, what="a third revoked")
        s.kill9()
        halfway = int(cluster.psql("SELECT count(*) FROM revoked_log").strip())
        assert halfway < count, "killed before the end"
        s.start()
        s.unseal(s.keys)
        wait_for(lambda: lease_count(s, "database/") == 0, timeout=120 + count // 50, what="the interrupted revocation to finish")
        left = cluster.psql("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'v-%'").strip()
        assert left == "0", "no credential is left in the database"
        twice = cluster.psql("SELECT name FROM revoked_log GROUP BY name HAVING count(*) > 1").split()
        assert twice == [], f"revoked twice: {twice[:5]}"
        assert int(cluster.psql("SELECT count(DISTINCT name) FROM revoked_log").strip()) == len(set(users)) == count
        assert s.request("GET", "sys/leases/count?type=all", s.root).json()["data"].get("revocations_in_progress") is None
    finally:
        s.stop()
        cluster.stop()


def test_lease_count_quota_refuses_past_its_limit_with_429(sqlite_server):
    s = sqlite_server
    r = s.request("POST", "sys/quotas/lease-count/tokens", s.root, json={"path": "auth/token/create", "max_leases": 3})
    assert r.status_code == 204, r.text
    made = create_tokens(s, 3, "1h")
    refused = s.request("POST", "auth/token/create", s.root, json={"ttl": "1h", "policies": ["default"]})
    assert refused.status_code == 429 and refused.json()["errors"] == ["lease count quota exceeded"]
    batch = s.request("POST", "auth/token/create", s.root, json={"ttl": "1h", "type": "batch", "policies": ["default"]})
    assert batch.status_code == 429, "a full quota refuses batch tokens too"
    # The root can always get in: root tokens are never refused.
    assert s.request("POST", "auth/token/create", s.root, json={"policies": ["root"]}).status_code == 200
    read = s.request("GET", "sys/quotas/lease-count/tokens", s.root).json()["data"]
    assert read["max_leases"] == 3 and read["path"] == "auth/token/create" and read["type"] == "lease-count" and read["counter"] == 3
    assert s.request("POST", "auth/token/revoke", s.root, json={"token": made[0]}).status_code == 204
    assert s.request("POST", "auth/token/create", s.root, json={"ttl": "1h", "policies": ["default"]}).status_code == 200
    # A quota survives a restart, and counts what is stored.
    s.stop()
    s.start()
    s.unseal(s.keys)
    again = s.request("POST", "auth/token/create", s.root, json={"ttl": "1h", "policies": ["default"]})
    assert again.status_code == 429
    assert s.request("LIST", "sys/quotas/lease-count", s.root).json()["data"]["keys"] == ["tokens"]
    assert s.request("DELETE", "sys/quotas/lease-count/tokens", s.root).status_code == 204
    assert s.request("POST", "auth/token/create", s.root, json={"ttl": "1h", "policies": ["default"]}).status_code == 200


def test_lease_count_quota_on_logins_and_hostile_settings(sqlite_server):
    s = sqlite_server
    assert s.request("POST", "sys/auth/userpass", s.root, json={"type": "userpass"}).status_code == 204
    assert s.request("POST", "auth/userpass/users/alice", s.root, json={"password": "pw", "token_policies": "default"}).status_code == 204
    assert s.request("POST", "sys/quotas/lease-count/logins", s.root, json={"path": "auth/userpass", "max_leases": 2}).status_code == 204
    for _ in range(2):
        assert s.request("POST", "auth/userpass/login/alice", json={"password": "pw"}).status_code == 200
    third = s.request("POST", "auth/userpass/login/alice", json={"password": "pw"})
    assert third.status_code == 429 and third.json()["errors"] == ["lease count quota exceeded"]
    for body, message in [({"path": "auth/userpass", "max_leases": 0}, "max_leases"),
                          ({"path": "nowhere/", "max_leases": 5}, "invalid mount path"),
                          ({"path": "secret/", "max_leases": 5, "role": "x"}, "auth mount"),
                          ({"path": "se*cret/", "max_leases": 5}, "invalid path")]:
        r = s.request("POST", "sys/quotas/lease-count/bad", s.root, json=body)
        assert r.status_code == 400 and message in r.json()["errors"][0], (body, r.text)
    assert s.request("GET", "sys/quotas/lease-count/bad", s.root).status_code == 404

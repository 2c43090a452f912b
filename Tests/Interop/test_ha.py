"""Three Tresor nodes on one shared store with ha_enabled — PostgreSQL 15, and a 3-member etcd
cluster — one active, standbys that forward, failover when the active dies, fencing when it is
frozen, and expiry taken over by the new active."""
import json
import signal
import subprocess
import threading
import time

import hvac
import pytest
import requests

from etcd_cluster import EtcdCluster
from postgres_cluster import PostgresCluster
from conftest import free_port
from production import ProductionServer, make_client_cert, make_tls


@pytest.fixture(scope="module", params=["postgresql", "etcd"])
def store(request):
    if request.param == "postgresql":
        pg = PostgresCluster()
        url = f"postgres://{pg.user}:{pg.password}@127.0.0.1:{pg.port}/postgres?sslmode=disable"
        yield "postgresql", f'storage "postgresql" {{\n  connection_url = "{url}"\n  ha_enabled = "true"\n}}', pg
        pg.stop()
    else:
        etcd = EtcdCluster()
        yield "etcd", f'storage "etcd" {{\n  address = "{etcd.address}"\n  etcd_api = "v3"\n  path = "tresor/"\n  ha_enabled = "true"\n}}', etcd
        etcd.stop()


@pytest.fixture(scope="module")
def cluster(store, tmp_path_factory):
    _, storage, _ = store
    nodes = []
    for i in range(3):
        cluster_port = free_port()
        node = ProductionServer(tmp_path_factory.mktemp(f"node{i}"), storage=storage,
                                listener_extra=f'cluster_address = "127.0.0.1:{cluster_port}"')
        node.cluster_port = cluster_port
        nodes.append(node.start())
    init = nodes[0].init(shares=5, threshold=3)
    keys, root = init["unseal_keys_b64"][:3], init["root_token"]
    for node in nodes:
        node.unseal(keys)
    yield nodes, keys, root
    for node in nodes:
        node.stop()


def active(nodes, timeout=15, exclude=()):
    """The one node that says it is the active, once all running unsealed nodes agree on it."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        running = [n for n in nodes if n.proc is not None and n not in exclude]
        try:
            leaders = [n.get("sys/leader").json() for n in running]
        except requests.RequestException:
            time.sleep(0.2)
            continue
        selves = [n for n, l in zip(running, leaders) if l.get("is_self")]
        addresses = {l.get("leader_address") for l in leaders}
        if len(selves) == 1 and addresses == {selves[0].addr}:
            return selves[0]
        time.sleep(0.2)
    raise AssertionError("no single active node: " + str([n.get("sys/leader").json() for n in nodes if n.proc]))


def test_one_active_and_standbys_that_report_themselves(cluster):
    nodes, _, _ = cluster
    leader = active(nodes)
    for node in nodes:
        health = node.get("sys/health")
        if node is leader:
            assert health.status_code == 200 and health.json()["standby"] is False
        else:
            assert health.status_code == 429 and health.json()["standby"] is True
            assert node.get("sys/health?standbyok=true").status_code == 200
        assert node.get("sys/leader").json()["ha_enabled"] is True


def test_reads_and_writes_through_any_node(cluster):
    nodes, _, root = cluster
    leader = active(nodes)
    standbys = [n for n in nodes if n is not leader]
    enabled = standbys[0].bao("secrets", "enable", "-path=ha-kv", "kv-v2", token=root)
    assert enabled.returncode == 0, enabled.stderr
    for index, node in enumerate(nodes):
        wrote = node.bao("kv", "put", "ha-kv/app", f"writer=node{index}", token=root)
        assert wrote.returncode == 0, wrote.stderr
        for reader in nodes:
            client = hvac.Client(url=reader.addr, token=root)
            data = client.secrets.kv.v2.read_secret_version(path="app", mount_point="ha-kv", raise_on_deleted_version=True)
            assert data["data"]["data"]["writer"] == f"node{index}"
    members = leader.request("GET", "sys/ha-status", token=root).json()["data"]["nodes"]
    assert len(members) == 3 and sum(m["active_node"] for m in members) == 1


def curl_from(source, method, url, body=None, headers=()):
    """A request sent from another loopback address, as a client elsewhere would be."""
    command = ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--interface", source, "-X", method, url]
    for header in headers:
        command += ["-H", header]
    if body is not None:
        command += ["-H", "Content-Type: application/json", "-d", json.dumps(body)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=30).stdout
    text, _, code = out.rpartition("\n")
    return int(code), text


def test_standbys_forward_over_mutual_tls_with_the_clients_address(cluster, tmp_path):
    nodes, _, root = cluster
    leader = active(nodes)
    standby = next(n for n in nodes if n is not leader)
    for node in nodes:
        assert node.get("sys/leader").json()["leader_cluster_address"] == f"https://127.0.0.1:{leader.cluster_port}"
    members = leader.request("GET", "sys/ha-status", token=root).json()["data"]["nodes"]
    assert {m["cluster_address"] for m in members} == {f"https://127.0.0.1:{n.cluster_port}" for n in nodes}
    # Only the active listens on its cluster port, and only to peers holding the cluster certificate.
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"https://127.0.0.1:{standby.cluster_port}/v1/sys/health", verify=False, timeout=5)
    with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
        requests.get(f"https://127.0.0.1:{leader.cluster_port}/v1/secret/data/x", verify=False, timeout=5,
                     headers={"X-Vault-Token": root})
    make_tls(tmp_path)
    cert, key = make_client_cert(tmp_path, "intruder")
    with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
        requests.get(f"https://127.0.0.1:{leader.cluster_port}/v1/sys/health", verify=False, timeout=5, cert=(str(cert), str(key)))
    # The active sees the client's own address through a standby: an AppRole secret-id bound to
    # 127.0.0.5 logs in from there through the standby, and a client elsewhere cannot claim it.
    assert leader.request("POST", "sys/auth/ha-approle", token=root, json={"type": "approle"}).status_code == 204
    assert leader.request("POST", "auth/ha-approle/role/bound", token=root,
                          json={"secret_id_bound_cidrs": ["127.0.0.5/32"], "token_policies": ["default"]}).status_code == 204
    role_id = leader.request("GET", "auth/ha-approle/role/bound/role-id", token=root).json()["data"]["role_id"]
    secret_id = leader.request("POST", "auth/ha-approle/role/bound/secret-id", token=root).json()["data"]["secret_id"]
    login = {"role_id": role_id, "secret_id": secret_id}
    code, text = curl_from("127.0.0.5", "POST", f"{standby.addr}/v1/auth/ha-approle/login", login)
    assert code == 200 and json.loads(text)["auth"]["client_token"], text
    code, text = curl_from("127.0.0.1", "POST", f"{leader.addr}/v1/auth/ha-approle/login", login,
                           headers=["X-Tresor-Client-Address: 127.0.0.5", "X-Tresor-Forwarded: 1"])
    assert code >= 400, text
    code, text = curl_from("127.0.0.1", "POST", f"{standby.addr}/v1/auth/ha-approle/login", login,
                           headers=["X-Tresor-Client-Address: 127.0.0.5"])
    assert code >= 400, text


def test_no_stale_read_after_step_down(cluster):
    nodes, _, root = cluster
    first = active(nodes)
    assert first.bao("kv", "put", "ha-kv/stale", "v=1", token=root).returncode == 0
    stepped = first.bao("operator", "step-down", token=root)
    assert stepped.returncode == 0, stepped.stderr
    second = active(nodes, exclude=(first,))
    assert second is not first
    assert second.bao("kv", "put", "ha-kv/stale", "v=2", token=root).returncode == 0
    for node in nodes:
        out = node.bao("kv", "get", "-field=v", "ha-kv/stale", token=root)
        assert out.returncode == 0 and out.stdout.strip() == "2", (node.addr, out.stdout, out.stderr)


def test_failover_loses_no_acknowledged_write(cluster):
    nodes, keys, root = cluster
    for round_number in range(3):
        leader = active(nodes)
        survivors = [n for n in nodes if n is not leader]
        acknowledged, stop = [], threading.Event()

        def writer():
            index = 0
            while not stop.is_set():
                for node in survivors:
                    try:
                        r = node.request("POST", f"ha-kv/data/load-{round_number}-{index}", token=root, json={"data": {"i": index}})
                    except requests.RequestException:
                        continue
                    if r.status_code == 200:
                        acknowledged.append(index)
                        break
                index += 1

        thread = threading.Thread(target=writer)
        thread.start()
        time.sleep(1)
        killed_at = time.time()
        leader.kill9()
        new_leader = active(nodes, exclude=(leader,), timeout=20)
        while True:
            ok = new_leader.request("POST", f"ha-kv/data/probe-{round_number}", token=root, json={"data": {"t": 1}})
            if ok.status_code == 200:
                break
            time.sleep(0.05)
        failover = time.time() - killed_at
        time.sleep(0.5)
        stop.set()
        thread.join()
        assert failover < 10, f"failover took {failover:.1f}s"
        assert acknowledged, "the writer got no write through"
        for index in acknowledged:
            r = new_leader.request("GET", f"ha-kv/data/load-{round_number}-{index}", token=root)
            assert r.status_code == 200 and r.json()["data"]["data"]["i"] == index
        leader.start()
        leader.unseal(keys)
        assert leader.get("sys/health").status_code == 429


def test_frozen_active_is_fenced_and_steps_down(cluster):
    nodes, _, root = cluster
    leader = active(nodes)
    assert leader.request("POST", "ha-kv/data/fence", token=root, json={"data": {"v": "before"}}).status_code == 200
    leader.proc.send_signal(signal.SIGSTOP)
    try:
        replacement = active(nodes, exclude=(leader,), timeout=20)
        result = {}

        def late_write():
            try:
                result["response"] = leader.request("POST", "ha-kv/data/fence", token=root, json={"data": {"v": "from-frozen"}})
            except requests.RequestException as error:
                result["error"] = error

        thread = threading.Thread(target=late_write)
        thread.start()
        time.sleep(0.5)
        assert replacement.request("POST", "ha-kv/data/fence", token=root, json={"data": {"v": "from-new-active"}}).status_code == 200
    finally:
        leader.proc.send_signal(signal.SIGCONT)
    thread.join(timeout=30)
    # The frozen node either refused the write (its lock was gone) or, having stepped down first,
    # forwarded it to the new active; it never wrote on its own authority.
    deadline = time.time() + 10
    while time.time() < deadline and leader.get("sys/health").status_code != 429:
        time.sleep(0.2)
    assert leader.get("sys/health").status_code == 429
    assert active(nodes) is replacement
    response = result.get("response")
    versions = replacement.request("GET", "ha-kv/metadata/fence", token=root).json()["data"]["versions"]
    if response is not None and response.status_code == 200:
        # Forwarded: the new active wrote it as a new version after its own.
        assert len(versions) == 3
    else:
        if response is not None:
            assert response.status_code == 503 and "no longer the active node" in response.json()["errors"][0]
        assert len(versions) == 2
        current = replacement.request("GET", "ha-kv/data/fence", token=root).json()["data"]["data"]["v"]
        assert current == "from-new-active"


def test_expiry_moves_to_the_new_active(cluster):
    nodes, keys, root = cluster
    leader = active(nodes)
    created = leader.request("POST", "auth/token/create", token=root, json={"ttl": "8s", "policies": ["default"]})
    token = created.json()["auth"]["client_token"]
    leader.kill9()
    new_leader = active(nodes, exclude=(leader,), timeout=20)
    assert new_leader.request("GET", "auth/token/lookup-self", token=token).status_code == 200
    time.sleep(10)
    assert new_leader.request("GET", "auth/token/lookup-self", token=token).status_code == 403
    leader.start()
    leader.unseal(keys)


def test_database_lease_is_revoked_by_the_new_active(store, cluster):
    kind, _, backing = store
    pg = backing if kind == "postgresql" else PostgresCluster()
    nodes, keys, root = cluster
    try:
        leader = active(nodes)
        assert leader.request("POST", "sys/mounts/ha-db", token=root, json={"type": "database"}).status_code == 204
        configured = leader.request("POST", "ha-db/config/pg", token=root, json={
            "plugin_name": "postgresql-database-plugin", "allowed_roles": "*", "username": pg.user, "password": pg.password,
            "connection_url": f"postgresql://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{pg.port}/postgres?sslmode=disable"})
        assert configured.status_code in (200, 204), configured.text
        create = """CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"""
        assert leader.request("POST", "ha-db/roles/short", token=root, json={
            "db_name": "pg", "creation_statements": create, "default_ttl": "8s", "max_ttl": "8s"}).status_code == 204
        username = leader.request("GET", "ha-db/creds/short", token=root).json()["data"]["username"]
        assert pg.psql(f"SELECT count(*) FROM pg_roles WHERE rolname = '{username}'").strip() == "1"
        leader.kill9()
        active(nodes, exclude=(leader,), timeout=20)
        deadline = time.time() + 20
        while time.time() < deadline and pg.psql(f"SELECT count(*) FROM pg_roles WHERE rolname = '{username}'").strip() != "0":
            time.sleep(0.5)
        assert pg.psql(f"SELECT count(*) FROM pg_roles WHERE rolname = '{username}'").strip() == "0"
        leader.start()
        leader.unseal(keys)
    finally:
        if pg is not backing:
            pg.stop()


def test_sealing_a_standby_leaves_the_cluster_serving(cluster):
    nodes, keys, root = cluster
    leader = active(nodes)
    standby = next(n for n in nodes if n is not leader)
    assert standby.bao("operator", "seal", token="not-a-token").returncode != 0
    sealed = standby.bao("operator", "seal", token=root)
    assert sealed.returncode == 0, sealed.stderr
    assert standby.get("sys/seal-status").json()["sealed"] is True
    assert active(nodes, exclude=(standby,)) is leader
    assert leader.request("POST", "ha-kv/data/after-seal", token=root, json={"data": {"ok": 1}}).status_code == 200
    standby.unseal(keys)
    assert standby.get("sys/health").status_code == 429


def test_losing_an_etcd_member_loses_no_acknowledged_write(store, cluster):
    kind, _, etcd = store
    if kind != "etcd":
        pytest.skip("etcd members only")
    nodes, _, root = cluster
    leader = active(nodes)
    acknowledged, stop = [], threading.Event()

    def writer():
        index = 0
        while not stop.is_set():
            try:
                r = leader.request("POST", f"ha-kv/data/member-{index}", token=root, json={"data": {"i": index}})
                if r.status_code == 200:
                    acknowledged.append(index)
            except requests.RequestException:
                pass
            index += 1

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(1)
    etcd.kill9(etcd.members[0]["name"])
    time.sleep(3)
    stop.set()
    thread.join()
    assert len(acknowledged) > 10
    reader = active(nodes)
    for index in acknowledged:
        r = reader.request("GET", f"ha-kv/data/member-{index}", token=root)
        assert r.status_code == 200 and r.json()["data"]["data"]["i"] == index
    etcd.start(etcd.members[0]["name"])

"""`sys/host-info` and `sys/config/state/sanitized` as Vault has them, compared with OpenBao, and
the sanitized configuration free of secrets."""
import requests

from production import ProductionServer


def read(server, path, token=None):
    return server.http("GET", path, token=token)


def test_host_info_has_openbaos_shape(tresor, openbao):
    ours, theirs = read(tresor, "sys/host-info"), read(openbao, "sys/host-info")
    assert ours.status_code == theirs.status_code == 200
    ours, theirs = ours.json()["data"], theirs.json()["data"]
    assert set(theirs) <= set(ours)
    for part in ("host", "memory"):
        missing = {k for k in theirs[part] if k not in ours[part]} - {"wired", "laundry", "writebacktmp", "sreclaimable", "sunreclaim",
                                                                       "pagetables", "swapcached", "commitlimit", "committedas", "hightotal",
                                                                       "highfree", "lowtotal", "lowfree", "mapped", "vmalloctotal",
                                                                       "vmallocused", "vmallocchunk", "hugepagestotal", "hugepagesfree",
                                                                       "hugepagesize", "hugepagesrsvd", "hugepagessurp", "swapused",
                                                                       "swapin", "swapout"}
        assert not missing, (part, missing)
    assert len(ours["cpu"]) == len(theirs["cpu"])
    assert [c["cpu"] for c in ours["cpu_times"]] == [c["cpu"] for c in theirs["cpu_times"]]
    assert ours["host"]["hostname"] == theirs["host"]["hostname"]
    assert ours["host"]["kernelVersion"] == theirs["host"]["kernelVersion"]
    assert ours["memory"]["total"] == theirs["memory"]["total"]
    assert abs(ours["disk"][0]["total"] - theirs["disk"][0]["total"]) < 1 << 20


def test_host_paths_need_a_policy(tresor, openbao):
    for server in (tresor, openbao):
        token = server.http("POST", "auth/token/create", json={"policies": ["default"]}).json()["auth"]["client_token"]
        for path in ("sys/host-info", "sys/config/state/sanitized"):
            assert read(server, path, token=token).status_code == 403, (server.name, path)


def test_sanitized_config_has_openbaos_keys(tresor, openbao):
    ours = read(tresor, "sys/config/state/sanitized").json()["data"]
    theirs = read(openbao, "sys/config/state/sanitized").json()["data"]
    assert set(theirs) - {"telemetry"} <= set(ours)
    assert ours["storage"]["type"] == "inmem" and ours["listeners"][0]["type"] == "tcp"
    assert ours["seals"] == [{"disabled": False, "type": "shamir"}]


def test_sanitized_config_of_a_production_server_holds_no_secret(tmp_path):
    from postgres_cluster import PostgresCluster
    cluster = PostgresCluster()
    try:
        storage = f'storage "postgresql" {{\n  connection_url = "{cluster.url}"\n}}'
        server = ProductionServer(tmp_path, storage=storage, extra_config='cluster_name = "prod-east"\nlog_format = "json"\n').start()
        try:
            init = server.init(1, 1)
            server.unseal(init["unseal_keys_b64"])
            reply = server.request("GET", "sys/config/state/sanitized", init["root_token"])
            assert reply.status_code == 200
            data = reply.json()["data"]
            assert data["storage"]["type"] == "postgresql"
            assert data["cluster_name"] == "prod-east" and data["log_format"] == "json"
            assert data["listeners"][0]["config"]["address"] == f"127.0.0.1:{server.port}"
            assert cluster.password not in reply.text and "connection_url" not in reply.text
        finally:
            server.stop()
    finally:
        cluster.stop()


def test_in_flight_requests_match_openbao(tresor, openbao):
    for server in (tresor, openbao):
        reply = read(server, "sys/in-flight-req")
        assert reply.status_code == 200, server.name
        body = reply.json()
        assert "data" not in body  # bare, without the envelope
        mine = [entry for entry in body.values() if entry["request_path"] == "/v1/sys/in-flight-req"]
        assert len(mine) == 1, (server.name, body)
        assert set(mine[0]) == {"start_time", "client_remote_address", "request_path", "request_method", "client_id"}
        assert mine[0]["request_method"] == "GET" and mine[0]["client_remote_address"].startswith("127.0.0.1:")
    assert tresor.http("POST", "sys/in-flight-req").status_code == openbao.http("POST", "sys/in-flight-req").status_code

"""Metrics with Vault's names (issue 23): `sys/metrics` in Prometheus text and in JSON, the same
names and counter movements on Tresor as on OpenBao, so the public Vault Grafana dashboards read
Tresor unchanged. The Prometheus text is judged by prometheus_client's own parser."""
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from production import ProductionServer

VAULT_NAMES = [
    "vault_core_handle_request", "vault_core_handle_login_request",
    "vault_barrier_get", "vault_barrier_put", "vault_barrier_delete", "vault_barrier_list",
    "vault_token_create", "vault_token_lookup", "vault_token_revoke",
    "vault_expire_num_leases", "vault_expire_revoke",
    "vault_audit_log_request", "vault_audit_log_response", "vault_audit_log_request_failure",
    "vault_core_unsealed", "vault_core_active",
]


def scrape(server):
    r = server.http("GET", "sys/metrics?format=prometheus")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    types = {}
    for family in text_string_to_metric_families(r.text):
        types[family.name] = family.type
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return types, samples


def total(samples, name, **labels):
    return sum(v for l, v in samples.get(name, []) if all(l.get(k) == w for k, w in labels.items()))


def round_trip(server, path="metrics-probe"):
    assert server.http("POST", f"secret/data/{path}", json={"data": {"k": "v"}}).status_code == 200
    assert server.http("GET", f"secret/data/{path}").status_code == 200
    assert server.http("DELETE", f"secret/metadata/{path}").status_code == 204
    assert server.http("LIST", "secret/metadata/").status_code in (200, 404)
    token = server.http("POST", "auth/token/create", json={"policies": ["default"], "ttl": "1h"}).json()["auth"]["client_token"]
    assert server.http("GET", "auth/token/lookup-self", token=token).status_code == 200
    assert server.http("POST", "auth/token/revoke", json={"token": token}).status_code == 204
    server.http("POST", "sys/auth/userpass-metrics", json={"type": "userpass"})
    server.http("POST", "auth/userpass-metrics/users/m", json={"password": "pw"})
    assert server.http("POST", "auth/userpass-metrics/login/m", token="", json={"password": "pw"}).status_code == 200


def test_vault_names_after_a_kv_round_trip(any_server, tmp_path):
    server = any_server
    server.http("PUT", "sys/audit/metrics-file", json={"type": "file", "options": {"file_path": str(tmp_path / "audit.log")}})
    round_trip(server)
    # Gauges come from a collection loop (every few seconds on OpenBao): give it one turn.
    deadline = time.time() + 20
    while True:
        types, samples = scrape(server)
        # OpenBao times token revocation only on some paths; Tresor on every one.
        missing = [name for name in VAULT_NAMES if name not in types and (server.name == "tresor" or name != "vault_token_revoke")]
        if not missing or time.time() > deadline:
            break
        time.sleep(1)
    assert not missing, f"{server.name} lacks {missing}"
    # Timers are summaries in milliseconds with Vault's quantiles, as go-metrics writes them.
    assert types["vault_core_handle_request"] == "summary"
    quantiles = {l.get("quantile") for l, _ in samples["vault_core_handle_request"]}
    assert {"0.5", "0.9", "0.99"} <= quantiles
    assert types["vault_core_unsealed"] == "gauge" and total(samples, "vault_core_unsealed") >= 1
    assert any(name.startswith("vault_route_") and "secret_" in name for name in types), "per-mount route timers"
    server.http("DELETE", "sys/audit/metrics-file")


def test_counters_move_by_the_right_amounts(any_server):
    server = any_server
    writes = 7
    _, before = scrape(server)
    for n in range(writes):
        assert server.http("POST", f"secret/data/count-{n}", json={"data": {"n": n}}).status_code == 200
    for n in range(3):
        assert server.http("POST", "auth/token/create", json={"policies": ["default"], "ttl": "1h"}).status_code == 200
    _, after = scrape(server)

    def moved(name):
        return total(after, name) - total(before, name)
    route_writes = moved("vault_route_create_secret__count") + moved("vault_route_update_secret__count")
    assert route_writes == writes, server.name
    # Every request in between, plus the first scrape itself.
    assert writes + 3 <= moved("vault_core_handle_request_count") <= writes + 3 + 1, server.name
    assert moved("vault_token_create_count") == 3, server.name
    assert moved("vault_barrier_put_count") >= writes, server.name


def test_json_form_matches_vaults_shape(any_server):
    server = any_server
    deadline = time.time() + 20
    while True:
        # The JSON form holds the current interval's samples (as Vault's in-memory sink does).
        server.http("GET", "sys/mounts")
        r = server.http("GET", "sys/metrics")
        assert r.status_code == 200
        body = r.json()
        if "vault.expire.num_leases" in {g["Name"] for g in body["Gauges"]} or time.time() > deadline:
            break
        time.sleep(1)
    assert {"Timestamp", "Gauges", "Counters", "Samples"} <= set(body)
    gauges = {g["Name"] for g in body["Gauges"]}
    assert {"vault.core.unsealed", "vault.core.active", "vault.expire.num_leases"} <= gauges
    sample = next(s for s in body["Samples"] if s["Name"] == "vault.core.handle_request")
    assert {"Count", "Sum", "Min", "Max", "Mean", "Labels"} <= set(sample) and sample["Count"] > 0
    assert server.http("GET", "sys/metrics?format=xml").status_code == 400


def test_tresor_metrics_beyond_vaults(tresor):
    types, samples = scrape(tresor)
    assert "tresor_barrier_cache_hit" in types and "tresor_barrier_cache_miss" in types
    assert "tresor_audit_chain_length" in types


@pytest.fixture
def production(tmp_path, request):
    listener, telemetry = request.param
    server = ProductionServer(tmp_path, listener_extra=listener, extra_config=telemetry).start()
    init = server.init(1, 1)
    server.unseal(init["unseal_keys_b64"])
    server.root = init["root_token"]
    yield server
    server.stop()


@pytest.mark.parametrize("production", [("", "")], indirect=True)
def test_metrics_need_a_token_by_default(production):
    assert production.get("sys/metrics?format=prometheus").status_code == 403
    ok = production.get("sys/metrics?format=prometheus", token=production.root)
    assert ok.status_code == 200 and "vault_core_unsealed" in ok.text


@pytest.mark.parametrize("production", [("telemetry {\n    unauthenticated_metrics_access = true\n  }", "")], indirect=True)
def test_listener_can_open_metrics_to_scrapers(production):
    r = production.get("sys/metrics?format=prometheus")
    assert r.status_code == 200 and "vault_core_handle_request" in r.text
    # Only the metrics: everything else still needs a token.
    assert production.get("sys/mounts").status_code == 403


@pytest.mark.parametrize("production", [("", 'telemetry {\n  prometheus_retention_time = "0s"\n  disable_hostname = true\n}')], indirect=True)
def test_prometheus_off_when_retention_is_zero(production):
    r = production.get("sys/metrics?format=prometheus", token=production.root)
    assert r.status_code == 400 and "prometheus is not enabled" in r.json()["errors"][0]
    assert production.get("sys/metrics", token=production.root).status_code == 200

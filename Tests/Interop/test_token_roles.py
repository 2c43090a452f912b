"""Token roles, with the same requests to Tresor and OpenBao: a platform mints tokens for its
services through a role, without root and beyond its own policies."""
import requests


def call(server, method, path, token=None, **kwargs):
    headers = {"X-Vault-Token": server.token if token is None else token}
    return requests.request(method, f"{server.addr}/v1/{path}", headers=headers, timeout=10, **kwargs)


def test_role_is_stored_and_read_as_vault_reads_it(any_server):
    assert call(any_server, "POST", "auth/token/roles/Svc", json={"allowed_policies": "app-a,app-b", "orphan": True,
                                                                  "token_period": "1h", "path_suffix": "ci-v1"}).status_code == 204
    assert call(any_server, "GET", "auth/token/roles/svc").status_code == 404  # names keep their case
    data = call(any_server, "GET", "auth/token/roles/Svc").json()["data"]
    assert data == {"allowed_entity_aliases": None, "allowed_policies": ["app-a", "app-b"], "allowed_policies_glob": [],
                    "disallowed_policies": [], "disallowed_policies_glob": [], "explicit_max_ttl": 0, "name": "Svc",
                    "orphan": True, "path_suffix": "ci-v1", "period": 0 if data["period"] == 0 else 3600, "renewable": True,
                    "token_explicit_max_ttl": 0, "token_no_default_policy": False, "token_period": 3600,
                    "token_type": "default-service", **({"token_bound_cidrs": []} if "token_bound_cidrs" in data else {}),
                    **({"token_num_uses": 0} if "token_num_uses" in data else {})}
    assert call(any_server, "LIST", "auth/token/roles").json()["data"]["keys"] == ["Svc"]
    bad = call(any_server, "POST", "auth/token/roles/Svc", json={"path_suffix": "v1"})
    assert bad.status_code == 400 and "path suffix" in bad.json()["errors"][0]
    assert call(any_server, "DELETE", "auth/token/roles/Svc").status_code == 204
    assert call(any_server, "LIST", "auth/token/roles").status_code == 404


def test_a_platform_token_mints_service_tokens_through_the_role(any_server):
    for name in ("app-a", "app-b", "secret-admin"):
        assert any_server.bao("policy", "write", name, "-", stdin=f'path "secret/data/{name}/*" {{ capabilities = ["read"] }}\n').returncode == 0
    assert call(any_server, "POST", "auth/token/roles/svc", json={"allowed_policies": ["app-a", "app-b"], "disallowed_policies": "secret-admin",
                                                                  "token_period": "30m", "path_suffix": "ci1"}).status_code == 204
    assert any_server.bao("policy", "write", "platform", "-", stdin='path "auth/token/create/svc" { capabilities = ["update"] }\n').returncode == 0
    platform = call(any_server, "POST", "auth/token/create", json={"policies": ["platform"]}).json()["auth"]["client_token"]

    # The platform holds neither app policy, yet the role lets it hand them out, periodic.
    minted = call(any_server, "POST", "auth/token/create/svc", token=platform, json={"policies": ["app-a"]})
    assert minted.status_code == 200, minted.text
    auth = minted.json()["auth"]
    assert auth["policies"] == ["app-a", "default"] and auth["lease_duration"] == 1800 and auth["renewable"] is True
    looked = call(any_server, "GET", "auth/token/lookup-self", token=auth["client_token"]).json()["data"]
    assert looked["path"] == "auth/token/create/svc/ci1" and looked["role"] == "svc" and 1790 <= looked["ttl"] <= 1800

    # No policies asked for: the role's allowed policies.
    everything = call(any_server, "POST", "auth/token/create/svc", token=platform, json={}).json()["auth"]
    assert everything["policies"] == ["app-a", "app-b", "default"]

    outside = call(any_server, "POST", "auth/token/create/svc", token=platform, json={"policies": ["secret-admin"]})
    assert outside.status_code == 400 and "must be subset of the role's allowed policies" in outside.json()["errors"][0]
    # Without the role, the platform cannot do the same.
    direct = call(any_server, "POST", "auth/token/create", token=platform, json={"policies": ["app-a"]})
    assert direct.status_code in (400, 403)
    unknown = call(any_server, "POST", "auth/token/create/nope", json={})
    assert unknown.status_code == 400 and unknown.json()["errors"] == ["unknown role nope"]


def test_disallowed_policies_without_an_allow_list(any_server):
    assert call(any_server, "POST", "auth/token/roles/limited", json={"disallowed_policies": ["secret-admin"], "renewable": False}).status_code == 204
    refused = call(any_server, "POST", "auth/token/create/limited", json={"policies": ["secret-admin"]})
    assert refused.status_code == 400
    fine = call(any_server, "POST", "auth/token/create/limited", json={"policies": ["app-a"], "ttl": "10m"}).json()["auth"]
    assert fine["renewable"] is False and fine["orphan"] is False

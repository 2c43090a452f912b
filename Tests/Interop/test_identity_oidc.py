"""Identity tokens (OIDC) with the same requests to Tresor and OpenBao: a workload's token is a
JWT that PyJWT validates against the JWKS fetched over HTTP from `.well-known/keys`, with the
issuer from `.well-known/openid-configuration` (issue 21, acceptance 4); introspection, rotation
and the validation errors match the reference server."""
import base64
import json

import jwt
import pytest
import requests


def call(server, method, path, token=None, **kwargs):
    return requests.request(method, f"{server.addr}/v1/{path}", headers={"X-Vault-Token": server.token if token is None else token},
                            timeout=30, **kwargs)


def workload_token(server, mount, user="svc"):
    """A userpass login (so the token has an entity) allowed to mint identity tokens."""
    assert call(server, "POST", f"sys/auth/{mount}", json={"type": "userpass"}).status_code == 204
    policy = 'path "identity/oidc/token/*" { capabilities = ["read"] }'
    assert call(server, "PUT", "sys/policies/acl/oidc-user", json={"policy": policy}).status_code == 204
    assert call(server, "POST", f"auth/{mount}/users/{user}", json={"password": "pw", "token_policies": ["oidc-user"]}).status_code == 204
    reply = call(server, "POST", f"auth/{mount}/login/{user}", token="", json={"password": "pw"})
    assert reply.status_code == 200, reply.text
    return reply.json()["auth"]


def claims_of(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@pytest.mark.parametrize("algorithm", ["RS256", "ES256", "ES384", "ES512", "EdDSA"])
def test_identity_token_validates_with_pyjwt_against_the_published_keys(any_server, algorithm):
    mount = f"up-{algorithm.lower()}"
    auth = workload_token(any_server, mount)
    key = f"key-{algorithm.lower()}"
    assert call(any_server, "POST", f"identity/oidc/key/{key}", json={"algorithm": algorithm, "allowed_client_ids": ["*"]}).status_code == 204
    template = '{"name": {{identity.entity.name}}, "meta": {{identity.entity.metadata}}, "groups": {{identity.entity.groups.names}}, "nbf": {{time.now}}}'
    role = f"role-{algorithm.lower()}"
    assert call(any_server, "POST", f"identity/oidc/role/{role}", json={"key": key, "template": template, "ttl": "30m"}).status_code == 204
    client_id = call(any_server, "GET", f"identity/oidc/role/{role}").json()["data"]["client_id"]

    minted = call(any_server, "GET", f"identity/oidc/token/{role}", token=auth["client_token"])
    assert minted.status_code == 200, minted.text
    data = minted.json()["data"]
    assert data["client_id"] == client_id and data["ttl"] == 1800

    # A relying party knows nothing but the issuer: discovery, then the keys, both without a token.
    discovery = requests.get(f"{any_server.addr}/v1/identity/oidc/.well-known/openid-configuration", timeout=10)
    assert discovery.status_code == 200, discovery.text
    config = discovery.json()
    assert config["issuer"] == f"{any_server.addr}/v1/identity/oidc"
    assert algorithm in config["id_token_signing_alg_values_supported"]
    signing_key = jwt.PyJWKClient(config["jwks_uri"]).get_signing_key_from_jwt(data["token"])
    claims = jwt.decode(data["token"], signing_key.key, algorithms=[algorithm], audience=client_id, issuer=config["issuer"])
    assert claims["sub"] == auth["entity_id"]
    assert claims["namespace"] == "root"
    assert claims["exp"] - claims["iat"] == 1800
    entity = call(any_server, "GET", f"identity/entity/id/{auth['entity_id']}").json()["data"]
    assert claims["name"] == entity["name"] and claims["meta"] == {} and claims["groups"] is None
    # Another audience, or a signature that does not match, is refused by the library.
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(data["token"], signing_key.key, algorithms=[algorithm], audience="someone-else")
    header, payload, signature = data["token"].split(".")
    forged = base64.urlsafe_b64encode(json.dumps(dict(claims, sub="another")).encode()).rstrip(b"=").decode()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(f"{header}.{forged}.{signature}", signing_key.key, algorithms=[algorithm], audience=client_id)


def test_introspection_and_what_makes_a_token_inactive(any_server):
    auth = workload_token(any_server, "up-introspect")
    assert call(any_server, "POST", "identity/oidc/key/intro", json={"algorithm": "ES256"}).status_code == 204
    assert call(any_server, "POST", "identity/oidc/role/intro", json={"key": "intro"}).status_code == 204
    client_id = call(any_server, "GET", "identity/oidc/role/intro").json()["data"]["client_id"]
    # The key does not allow the role's client yet.
    refused = call(any_server, "GET", "identity/oidc/token/intro", token=auth["client_token"])
    assert refused.status_code == 400 and "allowed client ID" in refused.json()["errors"][0]
    assert call(any_server, "POST", "identity/oidc/key/intro", json={"allowed_client_ids": [client_id]}).status_code == 204
    token = call(any_server, "GET", "identity/oidc/token/intro", token=auth["client_token"]).json()["data"]["token"]

    def introspect(body):
        reply = call(any_server, "POST", "identity/oidc/introspect", json=body)
        assert reply.status_code == 200, reply.text
        return reply.json()

    assert introspect({"token": token}) == {"active": True}
    assert introspect({"token": token, "client_id": client_id}) == {"active": True}
    wrong = introspect({"token": token, "client_id": "not-the-audience"})
    assert wrong["active"] is False and "aud" in wrong["error"]
    assert introspect({"token": token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")})["active"] is False
    assert introspect({"token": "not.a-token"})["active"] is False
    # Introspection needs a token of its own.
    assert requests.post(f"{any_server.addr}/v1/identity/oidc/introspect", json={"token": token}, timeout=10).status_code == 403

    # Root has no entity, so it has no identity to put in a token.
    no_entity = call(any_server, "GET", "identity/oidc/token/intro")
    assert no_entity.status_code == 400 and no_entity.json()["errors"] == ["no entity associated with the request's token"]
    # A disabled entity's tokens stop being active.
    assert call(any_server, "POST", f"identity/entity/id/{auth['entity_id']}", json={"disabled": True}).status_code == 204
    disabled = introspect({"token": token})
    assert disabled == {"active": False, "error": "entity is disabled"}


def test_rotation_publishes_the_next_key_and_keeps_the_old_one_verifiable(any_server):
    auth = workload_token(any_server, "up-rotate")
    jwks_url = f"{any_server.addr}/v1/identity/oidc/.well-known/keys"

    def published():
        return {k["kid"]: k for k in requests.get(jwks_url, timeout=10).json()["keys"]}

    others = set(published())  # keys of the roles earlier tests made on this server
    assert call(any_server, "POST", "identity/oidc/key/rot", json={"algorithm": "ES256", "allowed_client_ids": ["*"]}).status_code == 204
    # A key no role uses is not published.
    assert set(published()) == others
    assert call(any_server, "POST", "identity/oidc/role/rot", json={"key": "rot"}).status_code == 204
    before = set(published()) - others
    # The key signing now and the one that will sign after the next rotation.
    assert len(before) == 2
    first = call(any_server, "GET", "identity/oidc/token/rot", token=auth["client_token"]).json()["data"]["token"]
    first_kid = jwt.get_unverified_header(first)["kid"]
    assert first_kid in before

    assert call(any_server, "POST", "identity/oidc/key/rot/rotate").status_code == 204
    after = set(published()) - others
    assert before < after and len(after) == 3
    second = call(any_server, "GET", "identity/oidc/token/rot", token=auth["client_token"]).json()["data"]["token"]
    second_kid = jwt.get_unverified_header(second)["kid"]
    # The pre-published key signs now, and the old token still introspects as active.
    assert second_kid != first_kid and second_kid in before
    assert call(any_server, "POST", "identity/oidc/introspect", json={"token": first}).json() == {"active": True}

    # Changing the algorithm replaces both pairs; the old public keys stay for verification.
    assert call(any_server, "POST", "identity/oidc/key/rot", json={"algorithm": "RS256"}).status_code == 204
    keys = {kid: key for kid, key in published().items() if kid not in others}
    assert set(keys) > after and [k["kty"] for k in keys.values()].count("RSA") == 2
    third = call(any_server, "GET", "identity/oidc/token/rot", token=auth["client_token"]).json()["data"]["token"]
    assert jwt.get_unverified_header(third)["alg"] == "RS256"
    assert call(any_server, "POST", "identity/oidc/introspect", json={"token": second}).json() == {"active": True}


def test_key_and_role_rules_match_the_reference(any_server):
    def status(method, path, **body):
        reply = call(any_server, method, path, json=body or None)
        return reply.status_code, (reply.json().get("errors") if reply.status_code >= 400 else None)

    assert status("POST", "identity/oidc/role/no-key") == (400, ["the key parameter is required"])
    assert status("POST", "identity/oidc/role/no-key", key="missing") == (400, ['cannot find key "missing"'])
    assert status("POST", "identity/oidc/key/bad-alg", algorithm="HS256") == (400, ['unknown signing algorithm "HS256"'])
    assert status("POST", "identity/oidc/key/fast", rotation_period="10s") == (400, ["rotation_period must be at least one minute"])
    assert status("POST", "identity/oidc/key/long", rotation_period="1h", verification_ttl="11h") == (
        400, ["verification_ttl cannot be longer than 10x rotation_period"])
    assert status("POST", "identity/oidc/key/rules", algorithm="ES256", verification_ttl="1h")[0] == 204
    assert status("POST", "identity/oidc/role/rules", key="rules", ttl="2h") == (
        400, ["a role's token ttl cannot be longer than the verification_ttl of the key it references"])
    reserved = status("POST", "identity/oidc/role/rules", key="rules", template='{"sub": "me"}')
    assert reserved[0] == 400 and reserved[1][0].startswith('top level key "sub" not allowed')
    assert status("POST", "identity/oidc/role/rules", key="rules", template="{not json")[0] == 400
    assert status("POST", "identity/oidc/role/rules", key="rules", template='{"x": {{nothing.known}} }') == (
        400, ["error parsing template: no value could be found for one of the template directives"])
    # A template may come base64-encoded; it is stored decoded.
    encoded = base64.b64encode(b'{"team": "blue"}').decode()
    assert status("POST", "identity/oidc/role/rules", key="rules", template=encoded, ttl="30m")[0] == 204
    role = call(any_server, "GET", "identity/oidc/role/rules").json()["data"]
    assert role["template"] == '{"team": "blue"}' and role["ttl"] == 1800 and role["key"] == "rules" and len(role["client_id"]) > 0
    assert status("POST", "identity/oidc/key/rules", verification_ttl="10m")[0] == 400
    assert status("DELETE", "identity/oidc/key/rules") == (
        400, ['unable to delete key "rules" because it is currently referenced by these roles: rules'])
    assert status("DELETE", "identity/oidc/key/default") == (400, ['deletion of key "default" not allowed'])
    assert "default" in call(any_server, "LIST", "identity/oidc/key").json()["data"]["keys"]
    assert call(any_server, "GET", "identity/oidc/key/default").json()["data"] == {
        "algorithm": "RS256", "allowed_client_ids": ["*"], "rotation_period": 86400, "verification_ttl": 86400}
    assert "rules" in call(any_server, "LIST", "identity/oidc/role").json()["data"]["keys"]
    assert status("DELETE", "identity/oidc/role/rules")[0] == 204
    assert status("DELETE", "identity/oidc/key/rules")[0] == 204
    assert call(any_server, "GET", "identity/oidc/key/rules").status_code == 404
    assert status("GET", "identity/oidc/token/nothing") == (400, ['role "nothing" not found'])


def test_configured_issuer_is_what_tokens_and_discovery_name(any_server):
    auth = workload_token(any_server, "up-issuer")
    bad = call(any_server, "POST", "identity/oidc/config", json={"issuer": "https://example.com/path?x=1"})
    assert bad.status_code == 400
    reply = call(any_server, "POST", "identity/oidc/config", json={"issuer": "https://issuer.example:8443"})
    assert reply.status_code == 200 and len(reply.json()["warnings"]) == 1
    assert call(any_server, "GET", "identity/oidc/config").json()["data"] == {"issuer": "https://issuer.example:8443"}
    discovery = requests.get(f"{any_server.addr}/v1/identity/oidc/.well-known/openid-configuration", timeout=10).json()
    assert discovery["issuer"] == "https://issuer.example:8443/v1/identity/oidc"
    assert discovery["jwks_uri"] == "https://issuer.example:8443/v1/identity/oidc/.well-known/keys"
    assert call(any_server, "POST", "identity/oidc/role/issued", json={"key": "default"}).status_code == 204
    token = call(any_server, "GET", "identity/oidc/token/issued", token=auth["client_token"]).json()["data"]["token"]
    assert claims_of(token)["iss"] == "https://issuer.example:8443/v1/identity/oidc"
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert call(any_server, "POST", "identity/oidc/config", json={"issuer": ""}).status_code == 204
    # A token names the issuer it was made under; after the change it no longer introspects.
    inactive = call(any_server, "POST", "identity/oidc/introspect", json={"token": token}).json()
    assert inactive["active"] is False and "iss" in inactive["error"]

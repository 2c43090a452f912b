"""Batch tokens with the same requests to Tresor and OpenBao (issue 21): not stored, not
renewable or revocable, unable to make children or use a cubbyhole, valid until their TTL or
their parent's revocation; made by `auth/token/create`, token roles and auth-method logins."""
import time

import requests


def call(server, method, path, token=None, **kwargs):
    return requests.request(method, f"{server.addr}/v1/{path}", headers={"X-Vault-Token": server.token if token is None else token},
                            timeout=10, **kwargs)


def errors(reply):
    return reply.status_code, reply.json().get("errors") if reply.status_code >= 400 else None


POLICY = '''
path "auth/token/create" { capabilities = ["update"] }
path "cubbyhole/*" { capabilities = ["create", "read", "update"] }
path "secret/*" { capabilities = ["create", "read", "update"] }
'''


def test_batch_token_lifecycle_matches_the_reference(any_server):
    assert call(any_server, "PUT", "sys/policies/acl/batch-user", json={"policy": POLICY}).status_code == 204
    made = call(any_server, "POST", "auth/token/create", json={"type": "batch", "policies": ["batch-user"], "ttl": "1h"})
    assert made.status_code == 200, made.text
    auth = made.json()["auth"]
    assert auth["token_type"] == "batch" and auth["accessor"] == "" and auth["renewable"] is False
    assert auth["orphan"] is False and auth["lease_duration"] == 3600 and auth["policies"] == ["batch-user", "default"]
    token = auth["client_token"]

    looked = call(any_server, "GET", "auth/token/lookup-self", token=token)
    assert looked.status_code == 200, looked.text
    data = looked.json()["data"]
    assert data["type"] == "batch" and data["accessor"] == "" and data["id"] == token and data["renewable"] is False
    assert 3590 <= data["ttl"] <= 3600 and data["policies"] == ["batch-user", "default"]
    assert call(any_server, "POST", "auth/token/lookup", json={"token": token}).json()["data"]["type"] == "batch"

    # What it may do: its policies' paths.
    assert call(any_server, "POST", "secret/data/batch", token=token, json={"data": {"k": "v"}}).status_code == 200
    # What a batch token never does, whatever its policies say.
    assert errors(call(any_server, "POST", "auth/token/create", token=token, json={"policies": ["default"]})) == (
        400, ["batch tokens cannot create more tokens"])
    assert errors(call(any_server, "POST", "auth/token/renew-self", token=token, json={})) == (400, ["batch tokens cannot be renewed"])
    assert errors(call(any_server, "POST", "auth/token/revoke-self", token=token, json={})) == (400, ["batch tokens cannot be revoked"])
    assert errors(call(any_server, "POST", "auth/token/revoke", json={"token": token})) == (400, ["batch tokens cannot be revoked"])
    assert errors(call(any_server, "PUT", "cubbyhole/x", token=token, json={"a": "b"})) == (
        400, ["cubbyhole operations are only supported by 'service' type tokens"])
    # A forged or altered one is nobody.
    assert call(any_server, "GET", "auth/token/lookup-self", token=token[:-3] + "AAA").status_code == 403

    for body, message in ((dict(num_uses=3), 'batch tokens cannot have "num_uses" set'),
                          (dict(period="1h"), 'batch tokens cannot have "period" set'),
                          (dict(), "batch tokens cannot be root tokens")):
        assert errors(call(any_server, "POST", "auth/token/create", json={"type": "batch", **body})) == (400, [message])
    assert errors(call(any_server, "POST", "auth/token/create", json={"type": "bogus"})) == (400, ["invalid 'token_type' value"])


def test_batch_token_ends_with_its_ttl_and_with_its_parent(any_server):
    short = call(any_server, "POST", "auth/token/create", json={"type": "batch", "policies": ["default"], "ttl": "2s"}).json()["auth"]
    assert call(any_server, "GET", "auth/token/lookup-self", token=short["client_token"]).status_code == 200
    time.sleep(3)
    assert call(any_server, "GET", "auth/token/lookup-self", token=short["client_token"]).status_code == 403

    assert call(any_server, "PUT", "sys/policies/acl/parent", json={"policy": 'path "auth/token/create" { capabilities = ["update"] }'}).status_code == 204
    parent = call(any_server, "POST", "auth/token/create", json={"policies": ["parent"]}).json()["auth"]["client_token"]
    child = call(any_server, "POST", "auth/token/create", token=parent, json={"type": "batch", "policies": ["parent"]})
    assert child.status_code == 200, child.text
    child_token = child.json()["auth"]["client_token"]
    assert call(any_server, "GET", "auth/token/lookup-self", token=child_token).status_code == 200
    assert call(any_server, "POST", "auth/token/revoke", json={"token": parent}).status_code == 204
    assert call(any_server, "GET", "auth/token/lookup-self", token=child_token).status_code == 403

    orphan = call(any_server, "POST", "auth/token/create-orphan", json={"type": "batch", "policies": ["default"]}).json()["auth"]
    assert orphan["orphan"] is True


def test_token_roles_and_logins_issue_batch_tokens(any_server):
    assert errors(call(any_server, "POST", "auth/token/roles/batcher", json={"token_type": "batch", "allowed_policies": ["default"]})) == (
        400, ["'token_type' cannot be 'batch' when role is set to generate non-orphan tokens"])
    assert call(any_server, "POST", "auth/token/roles/batcher", json={"token_type": "batch", "allowed_policies": ["default"],
                                                                      "orphan": True, "renewable": False}).status_code == 204
    assert call(any_server, "GET", "auth/token/roles/batcher").json()["data"]["token_type"] == "batch"
    by_role = call(any_server, "POST", "auth/token/create/batcher", json={})
    assert by_role.status_code == 200, by_role.text
    assert by_role.json()["auth"]["token_type"] == "batch"
    assert call(any_server, "POST", "auth/token/roles/either", json={"token_type": "default-batch", "allowed_policies": ["default"]}).status_code == 204
    assert call(any_server, "POST", "auth/token/create/either", json={}).json()["auth"]["token_type"] == "batch"
    assert call(any_server, "POST", "auth/token/create/either", json={"type": "service"}).json()["auth"]["token_type"] == "service"

    assert call(any_server, "POST", "sys/auth/up-batch", json={"type": "userpass"}).status_code == 204
    assert call(any_server, "POST", "auth/up-batch/users/bee", json={"password": "pw", "token_type": "batch"}).status_code == 204
    assert errors(call(any_server, "POST", "auth/up-batch/users/bad", json={"password": "pw", "token_type": "default-batch"})) == (
        400, ['invalid \'token_type\' value "default-batch"'])
    assert errors(call(any_server, "POST", "auth/up-batch/users/bad", json={"password": "pw", "token_type": "batch", "token_period": "1h"})) == (
        400, ["'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens"])
    login = call(any_server, "POST", "auth/up-batch/login/bee", token="", json={"password": "pw"}).json()["auth"]
    assert login["token_type"] == "batch" and login["accessor"] == "" and login["orphan"] is True and login["entity_id"]
    assert call(any_server, "GET", "auth/token/lookup-self", token=login["client_token"]).json()["data"]["entity_id"] == login["entity_id"]

    # The mount's tuned type: `service` wins over the user's, `default-batch` applies to users without one.
    assert call(any_server, "POST", "sys/auth/up-batch/tune", json={"token_type": "service"}).status_code == 204
    assert call(any_server, "POST", "auth/up-batch/login/bee", token="", json={"password": "pw"}).json()["auth"]["token_type"] == "service"
    assert call(any_server, "POST", "sys/auth/up-batch/tune", json={"token_type": "default-batch"}).status_code == 204
    assert call(any_server, "POST", "auth/up-batch/users/plain", json={"password": "pw"}).status_code == 204
    assert call(any_server, "POST", "auth/up-batch/login/plain", token="", json={"password": "pw"}).json()["auth"]["token_type"] == "batch"
    assert call(any_server, "GET", "sys/auth/up-batch/tune").json()["data"]["token_type"] == "default-batch"
    assert errors(call(any_server, "POST", "sys/auth/up-batch/tune", json={"token_type": "bogus"})) == (400, ["invalid value for 'token_type'"])
    assert errors(call(any_server, "POST", "sys/auth/token/tune", json={"token_type": "batch"})) == (
        400, ["'token_type' cannot be set for 'token' or 'ns_token' auth mounts"])


def test_leases_of_a_batch_token_end_with_it_and_go_with_its_parent(any_server):
    assert call(any_server, "POST", "sys/mounts/pki-batch", json={"type": "pki"}).status_code == 204
    assert call(any_server, "POST", "pki-batch/root/generate/internal", json={"common_name": "batch.test", "key_type": "ec"}).status_code == 200
    assert call(any_server, "POST", "pki-batch/roles/leased", json={"allow_any_name": True, "generate_lease": True, "ttl": "1h",
                                                                     "key_type": "ec"}).status_code == 200
    issue = 'path "pki-batch/issue/leased" { capabilities = ["update"] }\npath "auth/token/create" { capabilities = ["update"] }'
    assert call(any_server, "PUT", "sys/policies/acl/issuer", json={"policy": issue}).status_code == 204
    parent = call(any_server, "POST", "auth/token/create", json={"policies": ["issuer"]}).json()["auth"]["client_token"]
    batch = call(any_server, "POST", "auth/token/create", token=parent, json={"type": "batch", "policies": ["issuer"], "ttl": "2m"})
    assert batch.status_code == 200, batch.text
    cert = call(any_server, "POST", "pki-batch/issue/leased", token=batch.json()["auth"]["client_token"], json={"common_name": "a.batch.test"})
    assert cert.status_code == 200, cert.text
    # The lease cannot outlive the token that made it.
    assert 0 < cert.json()["lease_duration"] <= 120
    lease_id = cert.json()["lease_id"]
    assert call(any_server, "PUT", "sys/leases/lookup", json={"lease_id": lease_id}).status_code == 200
    # Revoking the parent revokes what its batch child leased.
    assert call(any_server, "POST", "auth/token/revoke", json={"token": parent}).status_code == 204
    for _ in range(50):
        if call(any_server, "PUT", "sys/leases/lookup", json={"lease_id": lease_id}).status_code == 400:
            break
        time.sleep(0.1)
    assert call(any_server, "PUT", "sys/leases/lookup", json={"lease_id": lease_id}).status_code == 400

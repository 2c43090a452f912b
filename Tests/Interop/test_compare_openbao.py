"""The same requests against Tresor and OpenBao: status codes and JSON shapes must match.

A shape is the JSON with every value replaced by its type, so ids, tokens and times may differ
but every key, nesting and type must be the same. Each step may use the root token or a token
created earlier in the scenario, so the comparison covers ACL refusals too.
"""
import json

import pytest

POLICY = 'path "secret/data/cmp/*" { capabilities = ["read"] }\npath "secret/metadata/cmp/*" { capabilities = ["list"] }'

# (name, method, path, body, token): token is "root", "app" (created in the scenario) or "none".
SCENARIO = [
    ("health", "GET", "sys/health", None, "none"),
    ("seal-status", "GET", "sys/seal-status", None, "none"),
    ("leader", "GET", "sys/leader", None, "none"),
    ("init", "GET", "sys/init", None, "none"),
    ("kv write v1", "POST", "secret/data/cmp/app", {"data": {"user": "u", "n": 1}}, "root"),
    ("kv write v2", "PUT", "secret/data/cmp/app", {"data": {"user": "v"}, "options": {"cas": 1}}, "root"),
    ("kv bad cas", "PUT", "secret/data/cmp/app", {"data": {"user": "w"}, "options": {"cas": 1}}, "root"),
    ("kv read", "GET", "secret/data/cmp/app", None, "root"),
    ("kv read v1", "GET", "secret/data/cmp/app?version=1", None, "root"),
    ("kv read missing version", "GET", "secret/data/cmp/app?version=9", None, "root"),
    ("kv soft delete", "POST", "secret/delete/cmp/app", {"versions": [2]}, "root"),
    ("kv read deleted", "GET", "secret/data/cmp/app?version=2", None, "root"),
    ("kv undelete", "POST", "secret/undelete/cmp/app", {"versions": [2]}, "root"),
    ("kv destroy", "PUT", "secret/destroy/cmp/app", {"versions": [1]}, "root"),
    ("kv read destroyed", "GET", "secret/data/cmp/app?version=1", None, "root"),
    ("kv delete no versions", "POST", "secret/delete/cmp/app", {}, "root"),
    ("kv metadata", "GET", "secret/metadata/cmp/app", None, "root"),
    ("kv metadata write", "POST", "secret/metadata/cmp/app", {"max_versions": 5, "custom_metadata": {"team": "a"}}, "root"),
    ("kv metadata after", "GET", "secret/metadata/cmp/app", None, "root"),
    ("kv metadata bad type", "POST", "secret/metadata/cmp/app", {"max_versions": "abc"}, "root"),
    ("kv list", "LIST", "secret/metadata/cmp", None, "root"),
    ("kv list query", "GET", "secret/metadata/cmp/?list=true", None, "root"),
    ("kv list missing", "LIST", "secret/metadata/nothing/", None, "root"),
    ("kv subkeys", "GET", "secret/subkeys/cmp/app", None, "root"),
    ("kv config", "GET", "secret/config", None, "root"),
    ("kv read missing", "GET", "secret/data/cmp/none", None, "root"),
    ("kv v1-style path", "GET", "secret/cmp/app", None, "root"),
    ("kv no data", "POST", "secret/data/cmp/x", {"a": "b"}, "root"),
    ("kv delete latest", "DELETE", "secret/data/cmp/app", None, "root"),
    ("kv delete metadata", "DELETE", "secret/metadata/cmp/gone", None, "root"),
    ("policy write", "PUT", "sys/policies/acl/cmp", {"policy": POLICY}, "root"),
    ("policy read", "GET", "sys/policies/acl/cmp", None, "root"),
    ("policy read legacy", "GET", "sys/policy/cmp", None, "root"),
    ("policy read missing", "GET", "sys/policies/acl/none", None, "root"),
    ("policy bad hcl", "PUT", "sys/policies/acl/bad", {"policy": "path {"}, "root"),
    ("policy root", "PUT", "sys/policies/acl/root", {"policy": POLICY}, "root"),
    ("policy list", "LIST", "sys/policies/acl", None, "root"),
    ("policy GET without list", "GET", "sys/policies/acl", None, "root"),
    ("token create", "POST", "auth/token/create", {"policies": ["cmp"], "ttl": "1h", "meta": {"k": "v"}}, "root"),
    ("token create orphan", "POST", "auth/token/create-orphan", {"policies": ["cmp"], "ttl": "10m"}, "root"),
    ("app lookup-self", "GET", "auth/token/lookup-self", None, "app"),
    ("app read allowed", "GET", "secret/data/cmp/app", None, "app"),
    ("app list allowed", "LIST", "secret/metadata/cmp/", None, "app"),
    ("app write denied", "PUT", "secret/data/cmp/app", {"data": {"x": "y"}}, "app"),
    ("app read denied", "GET", "secret/data/other", None, "app"),
    ("app sys denied", "GET", "sys/mounts", None, "app"),
    ("app capabilities-self", "POST", "sys/capabilities-self", {"paths": ["secret/data/cmp/app", "secret/data/x"]}, "app"),
    ("app capabilities-self one", "POST", "sys/capabilities-self", {"path": "secret/data/cmp/app"}, "app"),
    ("app renew-self", "POST", "auth/token/renew-self", {"increment": "30m"}, "app"),
    ("app ui mount", "GET", "sys/internal/ui/mounts/secret/cmp/app", None, "app"),
    ("root lookup-self", "GET", "auth/token/lookup-self", None, "root"),
    ("root renew-self", "POST", "auth/token/renew-self", {}, "root"),
    ("bad token", "GET", "secret/data/cmp/app", None, "bogus"),
    ("no token", "GET", "secret/data/cmp/app", None, "none"),
    ("unknown mount", "GET", "nomount/x", None, "root"),
    ("unknown sys path", "GET", "sys/nonexistent", None, "root"),
    ("mount read", "GET", "sys/mounts/secret", None, "root"),
    ("mount tune read", "GET", "sys/mounts/secret/tune", None, "root"),
    ("mount enable kv1", "POST", "sys/mounts/cmpkv", {"type": "kv"}, "root"),
    ("mount enable dup", "POST", "sys/mounts/cmpkv", {"type": "kv"}, "root"),
    ("mount enable bogus", "POST", "sys/mounts/cmpbogus", {"type": "bogus"}, "root"),
    ("kv1 write", "PUT", "cmpkv/a", {"k": "v", "n": 2}, "root"),
    ("kv1 read", "GET", "cmpkv/a", None, "root"),
    ("kv1 list", "LIST", "cmpkv/", None, "root"),
    ("kv1 empty write", "PUT", "cmpkv/b", {}, "root"),
    ("kv1 delete", "DELETE", "cmpkv/a", None, "root"),
    ("kv1 read deleted", "GET", "cmpkv/a", None, "root"),
    ("mount read missing", "GET", "sys/mounts/nonexistent", None, "root"),
    ("mount disable", "DELETE", "sys/mounts/cmpkv", None, "root"),
    ("ui mount kv2", "GET", "sys/internal/ui/mounts/secret/x", None, "root"),
    ("cubbyhole write", "PUT", "cubbyhole/c", {"v": "1"}, "root"),
    ("cubbyhole read", "GET", "cubbyhole/c", None, "root"),
    ("cubbyhole list", "LIST", "cubbyhole/", None, "root"),
    ("token lookup", "POST", "auth/token/lookup", {"token": "APP"}, "root"),
    ("token lookup bad", "POST", "auth/token/lookup", {"token": "nope"}, "root"),
    ("token revoke", "POST", "auth/token/revoke", {"token": "APP"}, "root"),
    ("app after revoke", "GET", "auth/token/lookup-self", None, "app"),
    ("policy delete", "DELETE", "sys/policies/acl/cmp", None, "root"),
    ("policy delete default", "DELETE", "sys/policies/acl/default", None, "root"),
    ("malformed json", "PUT", "secret/data/cmp/bad", "{not json", "root"),
    ("array body", "PUT", "secret/data/cmp/bad", "[1,2]", "root"),
]


def shape(value):
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "string"


def run(server):
    results = []
    app_token = None
    for name, method, path, body, who in SCENARIO:
        token = {"root": server.token, "none": "", "bogus": "hvs.bogus", "app": app_token}[who]
        if isinstance(body, dict) and body.get("token") == "APP":
            body = dict(body, token=app_token)
        data = body if isinstance(body, str) else (json.dumps(body) if body is not None else None)
        response = server.http(method, path, token=token, data=data)
        parsed = response.json() if response.content.strip() else None
        if name == "token create":
            app_token = parsed["auth"]["client_token"]
        results.append((name, response.status_code, shape(parsed)))
    return results


@pytest.fixture(scope="module")
def both(tresor, openbao):
    return run(tresor), run(openbao)


@pytest.mark.parametrize("index", range(len(SCENARIO)), ids=[step[0] for step in SCENARIO])
def test_same_status_and_shape(both, index):
    ours, reference = both[0][index], both[1][index]
    assert ours[1] == reference[1], f"{ours[0]}: status {ours[1]} != OpenBao's {reference[1]}"
    assert ours[2] == reference[2], f"{ours[0]}: shape differs\nours: {json.dumps(ours[2], sort_keys=True)}\nbao:  {json.dumps(reference[2], sort_keys=True)}"

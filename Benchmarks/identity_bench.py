"""The identity rows of the side-by-side benchmark (issue 21): an AppRole login whose entity is in
two groups (each login resolves the alias, the entity and both groups' policies), and the issuance
of a signed identity token for that entity."""
import json
from pathlib import Path

import requests

WORKLOADS = [
    (("AppRole login, entity in 2 groups (16 conns)", "/v1/auth/approle-id/login", "post_file.lua", 16), "approle-login"),
    (("identity/oidc/token/:role, RS256 (16 conns)", "/v1/identity/oidc/token/bench", "get_as_token.lua", 16), "entity-token"),
]


def setup(server):
    server.write("sys/auth/approle-id", {"type": "approle"})
    server.write("auth/approle-id/role/bench", {"token_ttl": "1h", "secret_id_ttl": 0, "secret_id_num_uses": 0})
    role_id = requests.get(f"{server.addr}/v1/auth/approle-id/role/bench/role-id", headers={"X-Vault-Token": "root"},
                           timeout=10).json()["data"]["role_id"]
    secret_id = server.post("auth/approle-id/role/bench/secret-id", {})["secret_id"]
    login = {"role_id": role_id, "secret_id": secret_id}
    reply = requests.post(f"{server.addr}/v1/auth/approle-id/login", json=login, timeout=10)
    reply.raise_for_status()
    auth = reply.json()["auth"]
    server.write("sys/policies/acl/bench-oidc", {"policy": 'path "identity/oidc/token/*" { capabilities = ["read"] }'})
    server.write("sys/policies/acl/bench-kv", {"policy": 'path "secret/data/bench" { capabilities = ["read"] }'})
    for name, policy in (("bench-readers", "bench-kv"), ("bench-signers", "bench-oidc")):
        server.write("identity/group", {"name": name, "policies": [policy], "member_entity_ids": [auth["entity_id"]]})
    server.write("identity/oidc/key/bench", {"allowed_client_ids": ["*"]})
    server.write("identity/oidc/role/bench", {"key": "bench", "ttl": "1h",
                                              "template": '{"groups": {{identity.entity.groups.names}}}'})
    path = Path(server.home) / "approle-login.json"
    path.write_text(json.dumps(login))
    server.bodies["approle-login"] = str(path)
    # The login token itself holds no policy for the token path: its groups grant it.
    server.bodies["entity-token"] = auth["client_token"]

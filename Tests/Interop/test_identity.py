"""Identity with the same requests to Tresor and OpenBao: logins map to entities through their
aliases, group policies apply at request time, and one templated policy on a group gives each
userpass user their own corner of KV (issue 21, acceptance 2)."""
import requests


def call(server, method, path, token=None, **kwargs):
    return requests.request(method, f"{server.addr}/v1/{path}", headers={"X-Vault-Token": server.token if token is None else token},
                            timeout=10, **kwargs)


def login(server, user):
    reply = call(server, "POST", f"auth/userpass-id/login/{user}", token="", json={"password": f"{user}-pw"})
    assert reply.status_code == 200, reply.text
    return reply.json()["auth"]


def test_templated_group_policy_gives_each_user_their_own_path(any_server):
    assert call(any_server, "POST", "sys/auth/userpass-id", json={"type": "userpass"}).status_code == 204
    accessor = call(any_server, "GET", "sys/auth").json()["data"]["userpass-id/"]["accessor"]
    entity_ids = {}
    for user in ("alice", "bob"):
        assert call(any_server, "POST", f"auth/userpass-id/users/{user}", json={"password": f"{user}-pw"}).status_code == 204
        entity = call(any_server, "POST", "identity/entity", json={"name": user}).json()["data"]
        entity_ids[user] = entity["id"]
        alias = call(any_server, "POST", "identity/entity-alias", json={"name": user, "canonical_id": entity["id"], "mount_accessor": accessor})
        assert alias.status_code == 200, alias.text
    policy = 'path "secret/data/{{identity.entity.name}}/*" {\n  capabilities = ["create", "read", "update"]\n}\n'
    assert call(any_server, "PUT", "sys/policies/acl/per-user", json={"policy": policy}).status_code == 204
    group = call(any_server, "POST", "identity/group", json={"name": "users", "policies": ["per-user"],
                                                             "member_entity_ids": list(entity_ids.values())})
    assert group.status_code == 200, group.text

    tokens = {}
    for user in ("alice", "bob"):
        auth = login(any_server, user)
        assert auth["entity_id"] == entity_ids[user]
        # The group's policy is the entity's, not the token's own.
        assert auth["token_policies"] == ["default"] and auth["identity_policies"] == ["per-user"]
        assert auth["policies"] == ["default", "per-user"]
        tokens[user] = auth["client_token"]
        assert call(any_server, "GET", "auth/token/lookup-self", token=tokens[user]).json()["data"]["entity_id"] == entity_ids[user]
    for user, other in (("alice", "bob"), ("bob", "alice")):
        mine = call(any_server, "POST", f"secret/data/{user}/note", token=tokens[user], json={"data": {"owner": user}})
        assert mine.status_code == 200, mine.text
        assert call(any_server, "GET", f"secret/data/{user}/note", token=tokens[user]).json()["data"]["data"] == {"owner": user}
        assert call(any_server, "GET", f"secret/data/{other}/note", token=tokens[user]).status_code == 403
        assert call(any_server, "POST", f"secret/data/{other}/note", token=tokens[user], json={"data": {"x": "y"}}).status_code == 403

    # The group's policies change, and the same tokens lose access at once.
    assert call(any_server, "POST", "identity/group/name/users", json={"policies": []}).status_code == 204
    assert call(any_server, "GET", "secret/data/alice/note", token=tokens["alice"]).status_code == 403


def test_first_login_makes_an_entity_with_an_alias(any_server):
    assert call(any_server, "POST", "sys/auth/userpass-new", json={"type": "userpass"}).status_code == 204
    accessor = call(any_server, "GET", "sys/auth").json()["data"]["userpass-new/"]["accessor"]
    assert call(any_server, "POST", "auth/userpass-new/users/carol", json={"password": "carol-pw"}).status_code == 204
    first = call(any_server, "POST", "auth/userpass-new/login/carol", token="", json={"password": "carol-pw"}).json()["auth"]
    second = call(any_server, "POST", "auth/userpass-new/login/carol", token="", json={"password": "carol-pw"}).json()["auth"]
    assert first["entity_id"] and first["entity_id"] == second["entity_id"]
    found = call(any_server, "POST", "identity/lookup/entity", json={"alias_name": "carol", "alias_mount_accessor": accessor}).json()["data"]
    assert found["id"] == first["entity_id"]
    assert [a["name"] for a in found["aliases"]] == ["carol"] and found["aliases"][0]["mount_type"] == "userpass"
    # A disabled entity's tokens stop working.
    assert call(any_server, "POST", f"identity/entity/id/{found['id']}", json={"disabled": True}).status_code == 204
    assert call(any_server, "GET", "auth/token/lookup-self", token=first["client_token"]).status_code == 403



def test_concurrent_first_logins_share_one_entity(tmp_path):
    """Clients log in as one new user at once, on production storage where every read is a trip
    to SQLite: every login succeeds (none fails on a duplicate alias) and all their tokens carry
    the same entity."""
    from concurrent.futures import ThreadPoolExecutor
    from production import ProductionServer
    server = ProductionServer(tmp_path).start()
    try:
        init = server.init(1, 1)
        server.unseal(init["unseal_keys_b64"])
        root = init["root_token"]
        assert server.request("POST", "sys/auth/userpass", root, json={"type": "userpass"}).status_code == 204
        for round_ in range(4):
            user = f"carol{round_}"
            assert server.request("POST", f"auth/userpass/users/{user}", root, json={"password": "pw"}).status_code == 204

            def one(_):
                return requests.post(f"{server.addr}/v1/auth/userpass/login/{user}", json={"password": "pw"}, timeout=30)

            with ThreadPoolExecutor(16) as pool:
                replies = list(pool.map(one, range(16)))
            assert [r.status_code for r in replies] == [200] * 16, [r.text for r in replies if r.status_code != 200]
            assert len({r.json()["auth"]["entity_id"] for r in replies}) == 1
    finally:
        server.stop()

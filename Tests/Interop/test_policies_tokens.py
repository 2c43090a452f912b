"""The tutorial's policy and token steps: write a policy from stdin, create a token with it, and
check what that token may and may not do. Token expiry and revocation of children."""
import json
import time

import hvac
import pytest

from test_kv_cli import ok

POLICY = """
path "secret/data/myapp/*" {
  capabilities = ["read", "list"]
}
path "secret/metadata/myapp/*" {
  capabilities = ["list"]
}
"""


def test_policy_and_token_with_cli(any_server):
    s = any_server
    ok(s.bao("kv", "put", "secret/myapp/config", "db=postgres"))
    ok(s.bao("kv", "put", "secret/other/config", "db=mysql"))
    ok(s.bao("policy", "write", "myapp-read", "-", stdin=POLICY))
    assert "myapp-read" in ok(s.bao("policy", "list")).split()
    assert "secret/data/myapp/*" in ok(s.bao("policy", "read", "myapp-read"))

    created = json.loads(ok(s.bao("token", "create", "-policy=myapp-read", "-ttl=1h", "-format=json")))
    token = created["auth"]["client_token"]
    assert created["auth"]["policies"] == ["default", "myapp-read"]
    assert created["auth"]["lease_duration"] == 3600
    assert created["auth"]["renewable"] is True

    assert ok(s.bao("kv", "get", "-field=db", "secret/myapp/config", token=token)) == "postgres"
    denied = s.bao("kv", "get", "secret/other/config", token=token)
    assert denied.returncode == 2 and "permission denied" in denied.stderr and "403" in denied.stderr
    write = s.bao("kv", "put", "secret/myapp/config", "db=x", token=token)
    assert write.returncode == 2 and "permission denied" in write.stderr

    caps = ok(s.bao("token", "capabilities", token, "secret/data/myapp/config"))
    assert caps.strip() == "list, read"
    assert ok(s.bao("token", "capabilities", token, "secret/data/other")).strip() == "deny"

    lookup = json.loads(ok(s.bao("token", "lookup", "-format=json", token=token)))["data"]
    assert lookup["policies"] == ["default", "myapp-read"]
    assert 3590 <= lookup["ttl"] <= 3600
    assert lookup["display_name"] == "token"

    ok(s.bao("token", "revoke", token))
    gone = s.bao("kv", "get", "secret/myapp/config", token=token)
    assert gone.returncode == 2 and "permission denied" in gone.stderr


def test_policy_and_token_with_hvac(any_server):
    s = any_server
    root = s.client()
    root.sys.create_or_update_acl_policy(name="hvac-app", policy=POLICY)
    assert "hvac-app" in root.sys.list_acl_policies()["data"]["keys"]
    root.secrets.kv.v2.create_or_update_secret(path="myapp/hvac", secret={"k": "v"})

    token = root.auth.token.create(policies=["hvac-app"], ttl="30m")["auth"]["client_token"]
    app = s.client(token)
    assert app.is_authenticated()
    assert app.secrets.kv.v2.read_secret_version(path="myapp/hvac", raise_on_deleted_version=True)["data"]["data"] == {"k": "v"}
    assert app.secrets.kv.v2.list_secrets(path="myapp")["data"]["keys"] == ["config", "hvac"] or \
        "hvac" in app.secrets.kv.v2.list_secrets(path="myapp")["data"]["keys"]
    with pytest.raises(hvac.exceptions.Forbidden):
        app.secrets.kv.v2.create_or_update_secret(path="myapp/hvac", secret={"k": "w"})
    with pytest.raises(hvac.exceptions.Forbidden):
        app.secrets.kv.v2.read_secret_version(path="other/config", raise_on_deleted_version=True)
    with pytest.raises(hvac.exceptions.Forbidden):
        app.sys.list_mounted_secrets_engines()

    renewed = app.auth.token.renew_self(increment="10m")
    assert renewed["auth"]["lease_duration"] <= 600
    app.auth.token.revoke_self()
    assert not app.is_authenticated()


def test_token_ttl_expires(any_server):
    s = any_server
    token = s.client().auth.token.create(policies=["default"], ttl="2s")["auth"]["client_token"]
    assert s.client(token).auth.token.lookup_self()["data"]["ttl"] <= 2
    time.sleep(3.2)
    with pytest.raises(hvac.exceptions.Forbidden):
        s.client(token).auth.token.lookup_self()


MAKER = 'path "auth/token/create" { capabilities = ["update"] }'


def makers(server):
    """A client whose tokens may create child tokens."""
    root = server.client()
    root.sys.create_or_update_acl_policy(name="maker", policy=MAKER)
    return root


def test_parent_expiry_and_revocation_take_children(any_server):
    s = any_server
    root = makers(s)
    parent = root.auth.token.create(policies=["maker"], ttl="1h")["auth"]["client_token"]
    child = s.client(parent).auth.token.create(policies=["maker"], ttl="1h")["auth"]["client_token"]
    grandchild = s.client(child).auth.token.create(policies=["maker"], ttl="1h")["auth"]["client_token"]
    orphan = root.auth.token.create_orphan(policies=["default"], ttl="1h")["auth"]["client_token"]
    root.auth.token.revoke(parent)
    for token in (parent, child, grandchild):
        assert not s.client(token).is_authenticated()
    assert s.client(orphan).is_authenticated()

    # A short-lived parent takes its long-lived children with it when it expires.
    short = root.auth.token.create(policies=["maker"], ttl="2s")["auth"]["client_token"]
    long_child = s.client(short).auth.token.create(policies=["maker"], ttl="1h")["auth"]["client_token"]
    time.sleep(3.5)
    assert not s.client(long_child).is_authenticated()


def test_accessors_and_orphan_revoke(any_server):
    s = any_server
    root = makers(s)
    created = root.auth.token.create(policies=["maker"], ttl="1h")["auth"]
    child = s.client(created["client_token"]).auth.token.create(policies=["maker"])["auth"]["client_token"]
    looked = root.auth.token.lookup_accessor(created["accessor"])["data"]
    assert looked["id"] == "" and looked["accessor"] == created["accessor"]
    assert created["accessor"] in root.auth.token.list_accessors()["data"]["keys"]
    root.auth.token.revoke_and_orphan_children(created["client_token"])
    assert not s.client(created["client_token"]).is_authenticated()
    child_info = s.client(child).auth.token.lookup_self()["data"]
    assert child_info["orphan"] is True


def test_use_limited_token(any_server):
    s = any_server
    token = s.client().auth.token.create(policies=["default"], num_uses=2)["auth"]["client_token"]
    client = s.client(token)
    assert client.auth.token.lookup_self()["data"]["num_uses"] == 1
    client.auth.token.lookup_self()
    with pytest.raises(hvac.exceptions.Forbidden):
        client.auth.token.lookup_self()


def test_cubbyhole_is_private(any_server):
    s = any_server
    root = s.client()
    a = root.auth.token.create(policies=["default"])["auth"]["client_token"]
    b = root.auth.token.create(policies=["default"])["auth"]["client_token"]
    s.client(a).write("cubbyhole/note", value="mine")
    assert s.client(a).read("cubbyhole/note")["data"] == {"value": "mine"}
    assert s.client(b).read("cubbyhole/note") is None
    assert s.http("LIST", "cubbyhole/", token=b).status_code == 404
    root.auth.token.revoke(a)
    # A new token never sees the revoked one's data either.
    c = root.auth.token.create(policies=["default"])["auth"]["client_token"]
    assert s.client(c).read("cubbyhole/note") is None


def test_non_root_cannot_escalate(any_server):
    s = any_server
    root = makers(s)
    maker = s.client(root.auth.token.create(policies=["maker"])["auth"]["client_token"])
    with pytest.raises(hvac.exceptions.InvalidRequest):
        maker.auth.token.create(policies=["root"])
    with pytest.raises(hvac.exceptions.InvalidRequest):
        maker.auth.token.create(policies=["myapp-read"])
    child = maker.auth.token.create()["auth"]
    assert child["policies"] == ["default", "maker"]

"""userpass and AppRole logins with hvac and the bao CLI, against Tresor and OpenBao alike."""
import json
import time

import hvac
import pytest

from test_kv_cli import ok

APP_POLICY = 'path "secret/data/app/*" { capabilities = ["read"] }'


def setup_policy(server):
    root = server.client()
    root.sys.create_or_update_acl_policy(name="app-read", policy=APP_POLICY)
    root.secrets.kv.v2.create_or_update_secret(path="app/config", secret={"db": "pg"})
    return root


def enable(root, method, path):
    if f"{path}/" not in root.sys.list_auth_methods()["data"]:
        root.sys.enable_auth_method(method, path=path)


def test_userpass_with_hvac(any_server):
    s = any_server
    root = setup_policy(s)
    enable(root, "userpass", "up")
    root.auth.userpass.create_or_update_user(username="Alice", password="s3cret-pass", policies=["app-read"], mount_point="up")
    user = root.auth.userpass.read_user(username="alice", mount_point="up")["data"]
    assert user["token_policies"] == ["app-read"]
    assert "password" not in json.dumps(user)
    assert "alice" in root.auth.userpass.list_user(mount_point="up")["data"]["keys"]

    client = s.client(token="")
    login = client.auth.userpass.login(username="alice", password="s3cret-pass", mount_point="up")["auth"]
    assert login["policies"] == ["app-read", "default"]
    assert login["metadata"] == {"username": "alice"}
    assert login["lease_duration"] == 2764800
    assert login["orphan"] is True
    app = s.client(login["client_token"])
    assert app.secrets.kv.v2.read_secret_version(path="app/config", raise_on_deleted_version=True)["data"]["data"] == {"db": "pg"}
    with pytest.raises(hvac.exceptions.Forbidden):
        app.secrets.kv.v2.read_secret_version(path="other", raise_on_deleted_version=True)
    lookup = app.auth.token.lookup_self()["data"]
    assert lookup["path"] == "auth/up/login/alice" and lookup["display_name"] == "up-alice"

    with pytest.raises(hvac.exceptions.InvalidRequest):
        s.client(token="").auth.userpass.login(username="alice", password="wrong", mount_point="up")
    with pytest.raises(hvac.exceptions.InvalidRequest):
        s.client(token="").auth.userpass.login(username="nobody", password="x", mount_point="up")

    root.auth.userpass.update_password_on_user(username="alice", password="new-pass-1", mount_point="up")
    s.client(token="").auth.userpass.login(username="alice", password="new-pass-1", mount_point="up")
    assert app.auth.token.renew_self()["auth"]["client_token"] == login["client_token"]
    root.auth.userpass.delete_user(username="alice", mount_point="up")
    if s.name == "tresor":
        # Renewal asks the method, which no longer knows alice. (OpenBao 2.7 renews regardless.)
        with pytest.raises(hvac.exceptions.InvalidRequest):
            app.auth.token.renew_self()


def test_userpass_with_cli(any_server):
    s = any_server
    setup_policy(s)
    s.bao("auth", "enable", "userpass")
    ok(s.bao("write", "auth/userpass/users/bob", "password=hunter22", "token_policies=app-read", "token_ttl=1h"))
    out = json.loads(ok(s.bao("login", "-method=userpass", "-format=json", "username=bob", "password=hunter22", token="")))
    assert out["auth"]["policies"] == ["app-read", "default"]
    assert out["auth"]["lease_duration"] == 3600
    written = json.loads(ok(s.bao("write", "-format=json", "auth/userpass/login/bob", "password=hunter22", token="")))
    token = written["auth"]["client_token"]
    assert ok(s.bao("kv", "get", "-field=db", "secret/app/config", token=token)) == "pg"
    bad = s.bao("login", "-method=userpass", "username=bob", "password=nope", token="")
    assert bad.returncode == 2


def test_approle_with_hvac(any_server):
    s = any_server
    root = setup_policy(s)
    enable(root, "approle", "ar")
    root.auth.approle.create_or_update_approle(role_name="web", token_policies=["app-read"], token_ttl="20m",
                                               secret_id_num_uses=2, secret_id_ttl="2s", mount_point="ar")
    role = root.auth.approle.read_role(role_name="web", mount_point="ar")["data"]
    assert role["token_policies"] == ["app-read"] and role["secret_id_num_uses"] == 2 and role["token_ttl"] == 1200
    assert "web" in root.auth.approle.list_roles(mount_point="ar")["data"]["keys"]
    role_id = root.auth.approle.read_role_id(role_name="web", mount_point="ar")["data"]["role_id"]
    secret = root.auth.approle.generate_secret_id(role_name="web", metadata={"host": "web-1"}, mount_point="ar")["data"]
    assert secret["secret_id_num_uses"] == 2 and secret["secret_id_ttl"] == 2

    anon = s.client(token="")
    login = anon.auth.approle.login(role_id=role_id, secret_id=secret["secret_id"], mount_point="ar")["auth"]
    assert login["policies"] == ["app-read", "default"] and login["lease_duration"] == 1200
    assert login["metadata"]["role_name"] == "web" and login["metadata"]["host"] == "web-1"
    looked = root.auth.approle.read_secret_id(role_name="web", secret_id=secret["secret_id"], mount_point="ar")["data"]
    assert looked["secret_id_num_uses"] == 1 and looked["secret_id_accessor"] == secret["secret_id_accessor"]
    # The second use is the last; a third fails.
    anon.auth.approle.login(role_id=role_id, secret_id=secret["secret_id"], mount_point="ar")
    with pytest.raises(hvac.exceptions.InvalidRequest):
        anon.auth.approle.login(role_id=role_id, secret_id=secret["secret_id"], mount_point="ar")

    # Expiry: the secret id lives 2 seconds.
    short = root.auth.approle.generate_secret_id(role_name="web", mount_point="ar")["data"]["secret_id"]
    time.sleep(3)
    with pytest.raises(hvac.exceptions.InvalidRequest):
        anon.auth.approle.login(role_id=role_id, secret_id=short, mount_point="ar")

    custom = root.auth.approle.create_custom_secret_id(role_name="web", secret_id="my-own-secret", mount_point="ar")["data"]
    anon.auth.approle.login(role_id=role_id, secret_id="my-own-secret", mount_point="ar")
    root.auth.approle.destroy_secret_id_accessor(role_name="web", secret_id_accessor=custom["secret_id_accessor"], mount_point="ar")
    with pytest.raises(hvac.exceptions.InvalidRequest):
        anon.auth.approle.login(role_id=role_id, secret_id="my-own-secret", mount_point="ar")
    with pytest.raises(hvac.exceptions.InvalidRequest):
        anon.auth.approle.login(role_id="not-a-role", secret_id="x", mount_point="ar")


def test_approle_with_cli(any_server):
    s = any_server
    setup_policy(s)
    s.bao("auth", "enable", "approle")
    ok(s.bao("write", "auth/approle/role/batch", "token_policies=app-read", "secret_id_num_uses=1"))
    role_id = ok(s.bao("read", "-field=role_id", "auth/approle/role/batch/role-id"))
    secret_id = ok(s.bao("write", "-f", "-field=secret_id", "auth/approle/role/batch/secret-id"))
    out = json.loads(ok(s.bao("write", "-format=json", "auth/approle/login", f"role_id={role_id}", f"secret_id={secret_id}", token="")))
    assert out["auth"]["policies"] == ["app-read", "default"]
    again = s.bao("write", "auth/approle/login", f"role_id={role_id}", f"secret_id={secret_id}", token="")
    assert again.returncode == 2
    accessors = json.loads(ok(s.bao("list", "-format=json", "auth/approle/role/batch/secret-id"))) if \
        s.bao("list", "auth/approle/role/batch/secret-id").returncode == 0 else []
    assert accessors == []

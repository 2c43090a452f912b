"""The tutorial's KV steps with the real `bao` CLI, against Tresor and against OpenBao."""
import json

import pytest


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result.stdout


def kv_json(server, *args):
    return json.loads(ok(server.bao("kv", "get", "-format=json", *args)))


@pytest.mark.parametrize("server_name", ["tresor", "openbao"])
def test_status(request, server_name):
    server = request.getfixturevalue(server_name)
    out = ok(server.bao("status"))
    assert "Sealed" in out and "false" in out
    status = json.loads(ok(server.bao("status", "-format=json")))
    assert status["initialized"] is True and status["sealed"] is False


def test_kv_versions_lifecycle(any_server):
    s = any_server
    path = "secret/cli-app"
    ok(s.bao("kv", "put", path, "user=alice", "pass=one"))
    got = kv_json(s, path)
    assert got["data"]["data"] == {"user": "alice", "pass": "one"}
    assert got["data"]["metadata"]["version"] == 1

    ok(s.bao("kv", "put", path, "user=alice", "pass=two"))
    assert kv_json(s, path)["data"]["metadata"]["version"] == 2
    assert kv_json(s, "-version=1", path)["data"]["data"]["pass"] == "one"
    assert ok(s.bao("kv", "get", "-field=pass", path)) == "two"

    ok(s.bao("kv", "delete", "-versions=2", path))
    deleted = s.bao("kv", "get", "-format=json", path)
    meta = json.loads(deleted.stdout)["data"]["metadata"]
    assert meta["deletion_time"] != "" and meta["version"] == 2

    ok(s.bao("kv", "undelete", "-versions=2", path))
    assert kv_json(s, path)["data"]["data"]["pass"] == "two"

    ok(s.bao("kv", "destroy", "-versions=2", path))
    destroyed = json.loads(s.bao("kv", "get", "-format=json", "-version=2", path).stdout)
    assert destroyed["data"]["metadata"]["destroyed"] is True
    assert destroyed["data"]["data"] is None

    ok(s.bao("kv", "rollback", "-version=1", path))
    latest = kv_json(s, path)
    assert latest["data"]["metadata"]["version"] == 3
    assert latest["data"]["data"] == {"user": "alice", "pass": "one"}

    ok(s.bao("kv", "patch", path, "extra=x"))
    patched = kv_json(s, path)
    assert patched["data"]["data"] == {"user": "alice", "pass": "one", "extra": "x"}
    assert patched["data"]["metadata"]["version"] == 4


def test_kv_metadata_and_list(any_server):
    s = any_server
    ok(s.bao("kv", "put", "secret/team/a", "k=1"))
    ok(s.bao("kv", "put", "secret/team/b", "k=2"))
    ok(s.bao("kv", "metadata", "put", "-max-versions=3", "-custom-metadata=owner=ops", "secret/team/a"))
    meta = json.loads(ok(s.bao("kv", "metadata", "get", "-format=json", "secret/team/a")))["data"]
    assert meta["max_versions"] == 3
    assert meta["custom_metadata"] == {"owner": "ops"}
    assert meta["current_version"] == 1
    assert sorted(meta["versions"].keys()) == ["1"]

    listing = json.loads(ok(s.bao("kv", "list", "-format=json", "secret/team/")))
    assert listing == ["a", "b"]
    assert "team/" in json.loads(ok(s.bao("kv", "list", "-format=json", "secret/")))

    ok(s.bao("kv", "metadata", "delete", "secret/team/b"))
    missing = s.bao("kv", "get", "secret/team/b")
    assert missing.returncode == 2
    assert "No value found at secret/data/team/b" in missing.stderr
    assert json.loads(ok(s.bao("kv", "list", "-format=json", "secret/team/"))) == ["a"]


def test_max_versions_trims_oldest(any_server):
    s = any_server
    path = "secret/trim"
    ok(s.bao("kv", "metadata", "put", "-max-versions=2", path))
    for i in range(4):
        ok(s.bao("kv", "put", path, f"n={i}"))
    meta = json.loads(ok(s.bao("kv", "metadata", "get", "-format=json", path)))["data"]
    assert sorted(meta["versions"].keys()) == ["3", "4"]
    assert meta["oldest_version"] == 3
    assert s.bao("kv", "get", "-version=1", path).returncode == 2


def test_check_and_set(any_server):
    s = any_server
    path = "secret/cas"
    ok(s.bao("kv", "put", "-cas=0", path, "a=1"))
    refused = s.bao("kv", "put", "-cas=0", path, "a=2")
    assert refused.returncode == 2
    assert "check-and-set parameter did not match the current version" in refused.stderr
    ok(s.bao("kv", "put", "-cas=1", path, "a=2"))


def test_kv_v1_mount(any_server):
    s = any_server
    ok(s.bao("secrets", "enable", "-path=kvone", "kv"))
    ok(s.bao("kv", "put", "kvone/app", "color=blue"))
    assert ok(s.bao("kv", "get", "-field=color", "kvone/app")) == "blue"
    got = json.loads(ok(s.bao("read", "-format=json", "kvone/app")))
    assert got["data"] == {"color": "blue"}
    assert got["lease_duration"] == 2764800
    assert json.loads(ok(s.bao("kv", "list", "-format=json", "kvone/"))) == ["app"]
    ok(s.bao("kv", "delete", "kvone/app"))
    assert s.bao("kv", "get", "kvone/app").returncode == 2
    ok(s.bao("secrets", "disable", "kvone"))

"""Structured logs as Vault has them: `log_format = "json"`, `log_level`, `log_file` with rotation;
each request's id in its log line and in its audit entries; no secret or token in any line."""
import json

import pytest

from production import ProductionServer


def start(tmp_path, extra):
    server = ProductionServer(tmp_path, extra_config=extra).start()
    init = server.init(1, 1)
    server.unseal(init["unseal_keys_b64"])
    return server, init["root_token"], init["unseal_keys_b64"][0]


def test_json_log_lines_carry_the_audited_request_id(tmp_path):
    log_file = tmp_path / "logs" / "tresor.log"
    log_file.parent.mkdir()
    server, root, unseal_key = start(tmp_path, f'log_format = "json"\nlog_level = "debug"\nlog_file = "{log_file}"\n')
    try:
        assert server.request("POST", "sys/mounts/secret", root, json={"type": "kv-v2"}).status_code == 204
        secret = "log-canary-plaintext-4b1d"
        reply = server.request("POST", "secret/data/app", root, json={"data": {"password": secret}})
        assert reply.status_code == 200
        request_id = reply.json()["request_id"]
        assert server.request("GET", "secret/data/app", root).status_code == 200
    finally:
        server.stop()

    lines = log_file.read_text().splitlines()
    assert len(lines) > 3
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    for record in records:
        assert {"@level", "@message", "@module", "@timestamp"} <= set(record)
    handled = [r for r in records if r.get("request_id") == request_id]
    assert handled and handled[0]["@message"] == "request" and handled[0]["status"] == "200"
    text = log_file.read_text() + server.log_path.read_text()
    assert secret not in text and root not in text and unseal_key not in text


def test_request_id_is_the_same_in_log_and_audit_file(tmp_path):
    audit_file = tmp_path / "audit.log"
    log_file = tmp_path / "server-json"
    server, root, _ = start(tmp_path, f'log_format = "json"\nlog_level = "debug"\nlog_file = "{log_file}"\n'
                                      f'audit "file" "file/" {{\n  options = {{\n    file_path = "{audit_file}"\n  }}\n}}\n')
    try:
        reply = server.request("POST", "sys/mounts/kv", root, json={"type": "kv"})
        assert reply.status_code == 204
        written = server.request("POST", "kv/thing", root, json={"value": "audit-log-canary"})
        assert written.status_code == 204
        listed = server.request("LIST", "kv/", root)
        request_id = listed.json()["request_id"]
    finally:
        server.stop()
    # "log_file" without an extension gets ".log", as in Vault.
    records = [json.loads(line) for line in (tmp_path / "server-json.log").read_text().splitlines()]
    assert any(r.get("request_id") == request_id for r in records)
    audited = [json.loads(line) for line in audit_file.read_text().splitlines()]
    assert any(entry["request"]["id"] == request_id for entry in audited)
    assert "audit-log-canary" not in (tmp_path / "server-json.log").read_text()


def test_log_file_rotates_by_size_and_keeps_max_files(tmp_path):
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    server, root, _ = start(tmp_path, f'log_level = "debug"\nlog_file = "{log_dir}/"\nlog_rotate_bytes = 2000\n'
                                      'log_rotate_max_files = 2\n')
    try:
        for _ in range(60):
            assert server.request("GET", "sys/mounts", root).status_code == 200
    finally:
        server.stop()
    names = sorted(p.name for p in log_dir.iterdir())
    assert "tresor.log" in names
    rotated = [n for n in names if n != "tresor.log"]
    assert len(rotated) == 2, names
    assert all(n.startswith("tresor-") and n.endswith(".log") for n in rotated)
    for name in names:
        assert (log_dir / name).stat().st_size <= 2000 + 600


@pytest.mark.parametrize("extra, message", [
    ('log_format = "xml"\n', "log_format"),
    ('log_rotate_max_files = -2\n', "log_rotate_max_files"),
    ('log_file = "/nonexistent-dir/x/tresor.log"\n', "log_file"),
])
def test_bad_log_settings_fail_clearly(tmp_path, extra, message):
    import subprocess
    from conftest import TRESOR_BIN
    server = ProductionServer(tmp_path, extra_config=extra)
    out = subprocess.run([TRESOR_BIN, "server", f"-config={server.config}"], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert message in out.stdout + out.stderr

"""Advisories of 2025-2026 (issue 26), each played as an attack, in a test named after it. Others
live beside the feature they concern: test_hostile_input.py (HCSEC-2026-05),
test_generate_root.py and test_rekey.py (HCSEC-2026-08), test_database.py (CVE-2026-39946)."""
import ipaddress
import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from agent_helpers import approle, approle_stanza, run_once
from conftest import TRESOR_BIN


def csr_with_ip(address):
    key = ec.generate_private_key(ec.SECP256R1())
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "svc.example.com")]))
    builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def test_ghsa_g892_p242_8g86_csr_ip_sans_obey_allowed_ip_sans_cidr(tresor):
    assert tresor.bao("secrets", "enable", "-path=pki-cidr", "pki").returncode == 0
    assert tresor.http("POST", "pki-cidr/root/generate/internal", json={"common_name": "CIDR Root", "key_type": "ec"}).status_code == 200
    assert tresor.http("POST", "pki-cidr/roles/svc", json={"allow_any_name": True, "allowed_ip_sans_cidr": "10.0.0.0/8",
                                                          "use_csr_sans": True, "key_type": "any", "max_ttl": "1h"}).status_code in (200, 204)
    outside = tresor.http("POST", "pki-cidr/sign/svc", json={"csr": csr_with_ip("192.168.7.7"), "ttl": "10m"})
    assert outside.status_code == 400, outside.text
    inside = tresor.http("POST", "pki-cidr/sign/svc", json={"csr": csr_with_ip("10.1.2.3"), "ttl": "10m"})
    assert inside.status_code == 200, inside.text


def test_cve_2025_62513_raw_response_bodies_are_not_audited_in_clear(tresor, tmp_path):
    log = tmp_path / "raw-audit.log"
    assert tresor.bao("audit", "enable", "-path=raw-audit", "file", f"file_path={log}").returncode == 0
    try:
        assert tresor.bao("secrets", "enable", "-path=pki-raw", "pki").returncode == 0
        tresor.http("POST", "pki-raw/root/generate/internal", json={"common_name": "Raw Root", "key_type": "ec"})
        pem = tresor.http("GET", "pki-raw/ca/pem").text
        assert "BEGIN CERTIFICATE" in pem
    finally:
        assert tresor.bao("audit", "disable", "raw-audit").returncode == 0
    text = log.read_text()
    assert "pki-raw/ca/pem" in text
    body_line = pem.splitlines()[1]
    assert body_line not in text


def test_ghsa_444v_8vxr_p36h_a_failing_template_prints_no_rendered_secret(tresor, tmp_path):
    assert tresor.bao("kv", "put", "secret/advisory-agent", "password=Sup3r-s3cret-value").returncode == 0
    assert tresor.bao("policy", "write", "advisory-agent", "-",
                      stdin='path "secret/data/advisory-agent" { capabilities = ["read"] }\n').returncode == 0
    role_id, secret_id = approle(tresor, "advisory-agent", policies="advisory-agent", directory=tmp_path)
    config = tmp_path / "agent.hcl"
    good = '{{ with secret "secret/data/advisory-agent" }}{{ .Data.data.password }}{{ end }}'
    # Renders the secret, then fails on a key that is not there.
    bad = '{{ with secret "secret/data/advisory-agent" }}{{ .Data.data.password }}{{ .Data.data.missing }}{{ end }}'
    (tmp_path / "good.ctmpl").write_text(good)
    (tmp_path / "bad.ctmpl").write_text(bad)
    config.write_text(f'vault {{ address = "{tresor.addr}" }}\nexit_after_auth = true\n'
                      + approle_stanza(role_id, secret_id, tmp_path / "token")
                      + f'template {{\n  source = "{tmp_path / "good.ctmpl"}"\n  destination = "{tmp_path / "good"}"\n}}\n'
                      + f'template {{\n  source = "{tmp_path / "bad.ctmpl"}"\n  destination = "{tmp_path / "bad"}"\n'
                        f'  error_on_missing_key = true\n}}\n')
    code, output, _ = run_once(TRESOR_BIN, config, tresor, extra_env={"VAULT_LOG_LEVEL": "trace"})
    assert code != 0, output
    assert "missing" in output
    assert "Sup3r-s3cret-value" not in output
    assert not (tmp_path / "bad").exists()


def test_cve_2025_64761_root_on_a_group_or_entity_is_refused_in_any_case(tresor):
    for spelling in ("root", "Root", " ROOT "):
        for path, body in (("identity/group", {"name": f"g-{spelling.strip()}"}), ("identity/entity", {"name": f"e-{spelling.strip()}"})):
            reply = tresor.http("POST", path, json=dict(body, policies=[spelling]))
            assert reply.status_code == 400, (path, spelling, reply.text)
    group = tresor.http("POST", "identity/group", json={"name": "g-fine", "policies": ["  Reader "]}).json()["data"]
    assert tresor.http("GET", f"identity/group/id/{group['id']}").json()["data"]["policies"] == ["reader"]


def test_ghsa_59w7_v8rr_pr4p_template_values_cannot_widen_a_policy_path(tresor):
    for option in ("allow_wildcards_in_identity_templates", "allow_slashes_in_identity_templates"):
        refused = tresor.http("PUT", "sys/policies/acl/tmpl-opt", json={"policy": 'path "x/*" { capabilities = ["read"] }', option: True})
        assert refused.status_code == 400 and option in refused.json()["errors"][0]
    assert tresor.bao("auth", "enable", "-path=userpass-tmpl", "userpass").returncode == 0
    accessor = tresor.http("GET", "sys/auth").json()["data"]["userpass-tmpl/"]["accessor"]
    policy = 'path "secret/data/{{identity.entity.name}}/*" {\n  capabilities = ["create", "read", "update"]\n}\n'
    assert tresor.http("PUT", "sys/policies/acl/tmpl-own", json={"policy": policy}).status_code == 204
    for user, entity_name in (("mallory", "team/*"), ("trudy", "+"), ("eve", "a*")):
        assert tresor.http("POST", f"auth/userpass-tmpl/users/{user}", json={"password": "pw", "token_policies": "tmpl-own"}).status_code == 204
        entity = tresor.http("POST", "identity/entity", json={"name": entity_name}).json()["data"]
        tresor.http("POST", "identity/entity-alias", json={"name": user, "canonical_id": entity["id"], "mount_accessor": accessor})
        token = tresor.http("POST", f"auth/userpass-tmpl/login/{user}", token="", json={"password": "pw"}).json()["auth"]["client_token"]
        for target in ("secret/data/team/x", "secret/data/a-b/x", "secret/data/anyone/x", f"secret/data/{entity_name}/x"):
            assert tresor.http("POST", target, token=token, json={"data": {"k": "v"}}).status_code == 403, (user, target)

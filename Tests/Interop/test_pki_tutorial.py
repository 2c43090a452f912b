"""Vault's "Build your own certificate authority" tutorial, command by command with the `bao`
CLI, against Tresor and OpenBao alike; openssl checks what comes out."""
import json
import subprocess
import uuid


def ok(server, *args):
    result = server.bao(*args)
    assert result.returncode == 0, f"{args}: {result.stderr}"
    return result.stdout


def test_build_your_own_ca(any_server, tmp_path):
    s = uuid.uuid4().hex[:6]
    pki, pki_int = "pki" + s, "pki_int" + s
    ok(any_server, "secrets", "enable", f"-path={pki}", "pki")
    ok(any_server, "secrets", "tune", "-max-lease-ttl=87600h", pki)
    root_cert = ok(any_server, "write", "-field=certificate", f"{pki}/root/generate/internal", "common_name=example.com",
                   "issuer_name=root-2023", "ttl=87600h")
    (tmp_path / "root_2023_ca.crt").write_text(root_cert)
    assert len(json.loads(ok(any_server, "list", "-format=json", f"{pki}/issuers/"))) == 1
    default_issuer = ok(any_server, "read", "-field=default", f"{pki}/config/issuers").strip()
    issuer = json.loads(ok(any_server, "read", "-format=json", f"{pki}/issuer/{default_issuer}"))["data"]
    assert issuer["issuer_name"] == "root-2023" and issuer["key_id"]
    ok(any_server, "write", f"{pki}/roles/2023-servers", "allow_any_name=true")
    ok(any_server, "write", f"{pki}/config/urls", f"issuing_certificates={any_server.addr}/v1/{pki}/ca",
       f"crl_distribution_points={any_server.addr}/v1/{pki}/crl")

    ok(any_server, "secrets", "enable", f"-path={pki_int}", "pki")
    ok(any_server, "secrets", "tune", "-max-lease-ttl=43800h", pki_int)
    generated = json.loads(ok(any_server, "write", "-format=json", f"{pki_int}/intermediate/generate/internal",
                              "common_name=example.com Intermediate Authority", "issuer_name=example-dot-com-intermediate"))
    (tmp_path / "pki_intermediate.csr").write_text(generated["data"]["csr"])
    signed = json.loads(ok(any_server, "write", "-format=json", f"{pki}/root/sign-intermediate", "issuer_ref=root-2023",
                           f"csr=@{tmp_path / 'pki_intermediate.csr'}", "format=pem_bundle", "ttl=43800h"))
    (tmp_path / "intermediate.cert.pem").write_text(signed["data"]["certificate"])
    ok(any_server, "write", f"{pki_int}/intermediate/set-signed", f"certificate=@{tmp_path / 'intermediate.cert.pem'}")
    int_default = ok(any_server, "read", "-field=default", f"{pki_int}/config/issuers").strip()
    ok(any_server, "write", f"{pki_int}/roles/example-dot-com", f"issuer_ref={int_default}", "allowed_domains=example.com",
       "allow_subdomains=true", "max_ttl=720h")

    issued = json.loads(ok(any_server, "write", "-format=json", f"{pki_int}/issue/example-dot-com", "common_name=test.example.com", "ttl=24h"))["data"]
    (tmp_path / "leaf.pem").write_text(issued["certificate"] + "\n")
    (tmp_path / "int.pem").write_text(issued["issuing_ca"] + "\n")
    verdict = subprocess.run(["openssl", "verify", "-CAfile", str(tmp_path / "root_2023_ca.crt"), "-untrusted", str(tmp_path / "int.pem"),
                              str(tmp_path / "leaf.pem")], capture_output=True, text=True)
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
    refused = any_server.bao("write", f"{pki_int}/issue/example-dot-com", "common_name=test.example.org")
    assert refused.returncode != 0 and "not allowed by this role" in refused.stderr

    ok(any_server, "write", f"{pki_int}/revoke", f"serial_number={issued['serial_number']}")
    ok(any_server, "write", f"{pki_int}/tidy", "tidy_cert_store=true", "tidy_revoked_certs=true")
    assert issued["serial_number"] in json.loads(ok(any_server, "list", "-format=json", f"{pki_int}/certs/revoked"))

    # Rotation: a new root beside the old one, then made the default.
    rotated = json.loads(ok(any_server, "write", "-format=json", f"{pki}/root/rotate/internal", "common_name=example.com", "issuer_name=root-2024"))
    assert rotated["data"]["issuer_name"] == "root-2024"
    assert ok(any_server, "read", "-field=default", f"{pki}/config/issuers").strip() == default_issuer
    ok(any_server, "write", f"{pki}/root/replace", "default=root-2024")
    assert ok(any_server, "read", "-field=default", f"{pki}/config/issuers").strip() == rotated["data"]["issuer_id"]
    ok(any_server, "write", f"{pki}/roles/2024-servers", "allow_any_name=true")
    # The old root cross-signs the new one, so clients that trust only the old root trust the new.
    new_root = ok(any_server, "read", "-field=certificate", f"{pki}/issuer/root-2024")
    (tmp_path / "root_2024.pem").write_text(new_root)
    crossed = json.loads(ok(any_server, "write", "-format=json", f"{pki}/issuer/root-2023/sign-self-issued",
                            f"certificate=@{tmp_path / 'root_2024.pem'}"))["data"]["certificate"]
    (tmp_path / "cross.pem").write_text(crossed + "\n")
    leaf = json.loads(ok(any_server, "write", "-format=json", f"{pki}/issue/2024-servers", "common_name=new.example.com", "ttl=1h"))["data"]
    (tmp_path / "leaf2024.pem").write_text(leaf["certificate"] + "\n")
    chained = subprocess.run(["openssl", "verify", "-CAfile", str(tmp_path / "root_2023_ca.crt"), "-untrusted", str(tmp_path / "cross.pem"),
                              str(tmp_path / "leaf2024.pem")], capture_output=True, text=True)
    if any_server.name == "openbao":
        # OpenBao keeps the new root's own authority key ID when both roots share a subject (Go's
        # rule), so openssl takes the cross-signed copy for self-signed; Tresor names the signer.
        assert chained.returncode != 0
    else:
        assert chained.returncode == 0, chained.stdout + chained.stderr

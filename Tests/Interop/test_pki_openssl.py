"""Tresor's CA judged by openssl and curl, not by Tresor: chains verify, certificates carry what
the role says, revocations show in the CRL and over OCSP, and a TLS server with an issued
certificate is trusted by a client that knows only the root."""
import base64
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest


def run(*args, check=True, **kwargs):
    result = subprocess.run(list(args), capture_output=True, text=True, timeout=60, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{args}: {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def write(path, text):
    Path(path).write_text(text if text.endswith("\n") else text + "\n")
    return str(path)


@pytest.fixture
def ca(tresor, tmp_path):
    """A root mount and an intermediate mount signed by it, with a role on the intermediate."""
    client = tresor.client()
    suffix = uuid.uuid4().hex[:6]
    root, inter = "root-" + suffix, "int-" + suffix
    for mount, ttl in ((root, "87600h"), (inter, "43800h")):
        client.sys.enable_secrets_engine(backend_type="pki", path=mount, config={"max_lease_ttl": ttl})
    client.write_data(f"{root}/root/generate/internal", data={"common_name": "Example Root", "ttl": "87600h", "key_type": "ec", "key_bits": 384})
    client.write_data(f"{inter}/config/urls", data={"ocsp_servers": f"{tresor.addr}/v1/{inter}/ocsp",
                                                     "crl_distribution_points": f"{tresor.addr}/v1/{inter}/crl",
                                                     "issuing_certificates": f"{tresor.addr}/v1/{inter}/ca"})
    csr = client.write_data(f"{inter}/intermediate/generate/internal", data={"common_name": "Example Intermediate"})["data"]["csr"]
    signed = client.write_data(f"{root}/root/sign-intermediate", data={"csr": csr, "ttl": "43800h"})["data"]["certificate"]
    client.write_data(f"{inter}/intermediate/set-signed", data={"certificate": signed})
    client.write_data(f"{inter}/roles/web", data={"allowed_domains": "example.com", "allow_subdomains": True, "max_ttl": "72h",
                                                  "ext_key_usage": "CodeSigning", "organization": "ACME"})
    paths = {"root": write(tmp_path / "root.pem", tresor.http("GET", f"{root}/ca/pem").text),
             "int": write(tmp_path / "int.pem", tresor.http("GET", f"{inter}/ca/pem").text)}
    yield client, root, inter, paths, tmp_path
    client.sys.disable_secrets_engine(path=inter)
    client.sys.disable_secrets_engine(path=root)


def issue(client, inter, tmp_path, **data):
    issued = client.write_data(f"{inter}/issue/web", data=data)["data"]
    name = uuid.uuid4().hex[:6]
    return issued, write(tmp_path / f"{name}.pem", issued["certificate"]), write(tmp_path / f"{name}.key", issued["private_key"])


def test_chain_verifies_and_certificate_shows_the_role(ca):
    client, _, inter, paths, tmp_path = ca
    _, leaf, _ = issue(client, inter, tmp_path, common_name="www.example.com", alt_names="api.example.com", ip_sans="10.0.0.7", ttl="1h")
    assert "OK" in run("openssl", "verify", "-CAfile", paths["root"], "-untrusted", paths["int"], leaf).stdout
    # Without the intermediate there is no path to the root.
    assert run("openssl", "verify", "-CAfile", paths["root"], leaf, check=False).returncode != 0
    text = run("openssl", "x509", "-in", leaf, "-noout", "-text").stdout
    assert "DNS:www.example.com, DNS:api.example.com, IP Address:10.0.0.7" in text
    assert "Digital Signature, Key Encipherment, Key Agreement" in text
    assert "TLS Web Server Authentication, TLS Web Client Authentication, Code Signing" in text
    assert "Subject: O = ACME, CN = www.example.com" in text
    assert f"OCSP - URI:{client.url}/v1/{inter}/ocsp" in text and f"URI:{client.url}/v1/{inter}/crl" in text


@pytest.mark.parametrize("key_type,key_bits", [("rsa", 2048), ("ec", 256), ("ed25519", 0)])
def test_every_key_type_verifies(ca, key_type, key_bits):
    client, _, inter, paths, tmp_path = ca
    client.write_data(f"{inter}/roles/web", data={"allowed_domains": "example.com", "allow_subdomains": True, "key_type": key_type,
                                                  "key_bits": key_bits})
    issued, leaf, key = issue(client, inter, tmp_path, common_name="k.example.com")
    assert issued["private_key_type"] == key_type
    assert "OK" in run("openssl", "verify", "-CAfile", paths["root"], "-untrusted", paths["int"], leaf).stdout
    # The private key belongs to the certificate.
    assert run("openssl", "pkey", "-in", key, "-pubout").stdout == run("openssl", "x509", "-in", leaf, "-noout", "-pubkey").stdout


def test_revocation_in_crl_and_ocsp(ca, tresor):
    client, _, inter, paths, tmp_path = ca
    revoked, revoked_pem, _ = issue(client, inter, tmp_path, common_name="gone.example.com")
    _, good_pem, _ = issue(client, inter, tmp_path, common_name="ok.example.com")
    client.write_data(f"{inter}/revoke", data={"serial_number": revoked["serial_number"]})
    crl_path = tmp_path / "int.crl"
    crl_path.write_bytes(tresor.http("GET", f"{inter}/crl").content)
    crl = run("openssl", "crl", "-inform", "DER", "-in", str(crl_path), "-noout", "-text").stdout
    assert revoked["serial_number"].replace(":", "").upper() in crl
    # openssl checks the CRL's signature against the intermediate, and refuses the revoked leaf.
    run("openssl", "crl", "-inform", "DER", "-in", str(crl_path), "-noout", "-CAfile", paths["int"])
    crl_pem = write(tmp_path / "int-crl.pem", tresor.http("GET", f"{inter}/crl/pem").text)
    chain = write(tmp_path / "chain.pem", Path(paths["int"]).read_text() + Path(paths["root"]).read_text())
    verdict = run("openssl", "verify", "-crl_check", "-CRLfile", crl_pem, "-CAfile", chain, revoked_pem, check=False)
    assert verdict.returncode != 0 and "certificate revoked" in verdict.stdout + verdict.stderr
    assert "OK" in run("openssl", "verify", "-crl_check", "-CRLfile", crl_pem, "-CAfile", chain, good_pem).stdout

    url = f"{tresor.addr}/v1/{inter}/ocsp"
    for pem, status in ((revoked_pem, "revoked"), (good_pem, "good")):
        answer = run("openssl", "ocsp", "-issuer", paths["int"], "-cert", pem, "-url", url, "-CAfile", chain).stdout
        assert f"{pem}: {status}" in answer
    # GET form: the DER request base64-encoded in the path.
    request = run("openssl", "ocsp", "-issuer", paths["int"], "-cert", good_pem, "-reqout", str(tmp_path / "req.der"), "-no_nonce")
    assert request.returncode == 0
    encoded = base64.b64encode((tmp_path / "req.der").read_bytes()).decode()
    reply = tresor.http("GET", f"{inter}/ocsp/{encoded}", token="")
    assert reply.status_code == 200 and reply.headers["Content-Type"] == "application/ocsp-response"
    (tmp_path / "resp.der").write_bytes(reply.content)
    assert "Cert Status: good" in run("openssl", "ocsp", "-respin", str(tmp_path / "resp.der"), "-resp_text", "-noverify").stdout
    # A malformed request is answered with OCSP's own malformedRequest status.
    bad = tresor.http("POST", f"{inter}/ocsp", token="", data=b"\x30\x03junk", headers={"Content-Type": "application/ocsp-request"})
    assert bad.status_code == 400 and bad.content == bytes([0x30, 0x03, 0x0A, 0x01, 0x01])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_tls_server_with_issued_certificate_is_trusted_by_curl(ca, tresor):
    client, _, inter, paths, tmp_path = ca
    _, leaf, key = issue(client, inter, tmp_path, common_name="localhost", ip_sans="127.0.0.1")
    chain = write(tmp_path / "served-chain.pem", Path(paths["int"]).read_text())
    port = free_port()
    server = subprocess.Popen(["openssl", "s_server", "-accept", str(port), "-cert", leaf, "-key", key, "-cert_chain", chain, "-www",
                               "-quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        ok = run("curl", "-sS", "--cacert", paths["root"], f"https://localhost:{port}/", check=False)
        assert ok.returncode == 0, ok.stderr
        # A client that trusts only the system's CAs refuses the same server.
        other = run("curl", "-sS", f"https://localhost:{port}/", check=False)
        assert other.returncode != 0
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_delta_crl_holds_revocations_since_the_complete_crl(ca, tresor):
    client, _, inter, paths, tmp_path = ca
    client.write_data(f"{inter}/config/crl", data={"auto_rebuild": True, "enable_delta": True})
    client.secrets.pki.rotate_crl(mount_point=inter)
    revoked, _, _ = issue(client, inter, tmp_path, common_name="delta.example.com")
    client.write_data(f"{inter}/revoke", data={"serial_number": revoked["serial_number"]})
    serial_hex = revoked["serial_number"].replace(":", "").upper()

    def crl_text(path):
        der = tmp_path / "crl.der"
        der.write_bytes(tresor.http("GET", f"{inter}/{path}", token="").content)
        return run("openssl", "crl", "-inform", "DER", "-in", str(der), "-noout", "-text", "-CAfile", paths["int"]).stdout

    delta = crl_text("crl/delta")
    assert "Delta CRL Indicator: critical" in delta and serial_hex in delta
    # With auto_rebuild the complete CRL waits for its rebuild; after one it lists the serial and
    # the next delta starts empty again.
    assert serial_hex not in crl_text("crl")
    client.secrets.pki.rotate_crl(mount_point=inter)
    assert serial_hex in crl_text("crl")
    assert serial_hex not in crl_text("crl/delta")

"""Hostile input to the PKI engine: each gets a clear 4xx with Vault's message where Vault has
one, and nothing is issued or stored by a refused request."""
import base64
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


def csr_pem(key, cn="a.example.com"):
    built = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])).sign(key, hashes.SHA256())
    return built.public_bytes(serialization.Encoding.PEM).decode()


def tampered_csr():
    """A CSR whose signature no longer matches its contents, in 76-column PEM as Python writes it."""
    der = bytearray(x509.load_pem_x509_csr(csr_pem(ec.generate_private_key(ec.SECP256R1())).encode()).public_bytes(serialization.Encoding.DER))
    der[-5] ^= 0xFF
    return "-----BEGIN CERTIFICATE REQUEST-----\n" + base64.encodebytes(bytes(der)).decode() + "-----END CERTIFICATE REQUEST-----\n"


@pytest.fixture
def pki(any_server):
    client = any_server.client()
    mount = "pki-hostile-" + uuid.uuid4().hex[:6]
    client.sys.enable_secrets_engine(backend_type="pki", path=mount)
    client.write_data(f"{mount}/root/generate/internal", data={"common_name": "Hostile Root", "key_type": "ec"})
    client.write_data(f"{mount}/roles/r", data={"allow_any_name": True, "key_type": "any", "max_ttl": "2h"})
    yield any_server, mount
    client.sys.disable_secrets_engine(path=mount)


def stored(server, mount):
    response = server.http("LIST", f"{mount}/certs")
    return response.json()["data"]["keys"] if response.status_code == 200 else []


@pytest.mark.parametrize("csr,message", [
    ("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----", "could not be parsed"),
    ("not a pem at all", "csr contains no data"),
    ("", '"csr" is empty'),
    ("-----BEGIN CERTIFICATE REQUEST-----\n" + "QUFB" * 30000 + "\n-----END CERTIFICATE REQUEST-----", "could not be parsed"),
])
def test_malformed_csr(pki, csr, message):
    server, mount = pki
    before = stored(server, mount)
    response = server.http("POST", f"{mount}/sign/r", json={"csr": csr})
    assert response.status_code == 400 and message in response.json()["errors"][0]
    assert stored(server, mount) == before


def test_small_rsa_key_and_foreign_signature(pki):
    server, mount = pki
    small = server.http("POST", f"{mount}/sign/r", json={"csr": csr_pem(rsa.generate_private_key(public_exponent=65537, key_size=1024))})
    assert small.status_code == 400 and small.json()["errors"] == ["RSA keys < 2048 bits are unsafe and not supported"]
    forged = server.http("POST", f"{mount}/sign/r", json={"csr": tampered_csr()})
    assert forged.status_code == 400 and forged.json()["errors"] == ["request signature invalid"]
    verbatim = server.http("POST", f"{mount}/sign-verbatim", json={"csr": tampered_csr(), "ttl": "1h"})
    assert verbatim.status_code == 400 and verbatim.json()["errors"] == ["request signature invalid"]


def test_excessive_ttl_is_capped_with_vaults_warning(pki):
    server, mount = pki
    response = server.http("POST", f"{mount}/issue/r", json={"common_name": "x.example.com", "ttl": "100000h", "key_type": "ec"})
    body = response.json()
    assert response.status_code == 200
    assert 'TTL "100000h0m0s" is longer than permitted maxTTL "2h0m0s", so maxTTL is being used' in body["warnings"]
    assert body["data"]["expiration"] - body["data"]["not_before"] == 2 * 3600 + 30


def test_ten_thousand_sans(pki):
    server, mount = pki
    names = ",".join(f"h{i}.example.com" for i in range(10000))
    response = server.http("POST", f"{mount}/issue/r", json={"common_name": "x.example.com", "alt_names": names, "key_type": "ec"})
    if server.name == "openbao":
        pytest.skip("OpenBao issues the certificate; Tresor refuses it")
    assert response.status_code == 400 and "too many subject alternative names" in response.json()["errors"][0]


def test_bad_imports_and_references(pki):
    server, mount = pki
    short = server.http("POST", f"{mount}/config/ca", json={"pem_bundle": "/etc/ssl/ca.pem"})
    assert short.status_code == 400 and "too short" in short.json()["errors"][0]
    junk = server.http("POST", f"{mount}/config/ca", json={"pem_bundle": "-----BEGIN CERTIFICATE-----\n" + "A" * 100 + "\n-----END CERTIFICATE-----"})
    assert junk.status_code == 400
    leaf = server.http("POST", f"{mount}/issue/r", json={"common_name": "leaf.example.com", "key_type": "ec"}).json()["data"]["certificate"]
    not_ca = server.http("POST", f"{mount}/issuers/import/cert", json={"pem_bundle": leaf})
    assert not_ca.status_code == 400 and "Refusing to import non-CA certificate" in not_ca.json()["errors"][0]
    assert server.http("POST", f"{mount}/revoke", json={"serial_number": "zz:zz"}).status_code == 400
    assert server.http("GET", f"{mount}/cert/not-a-serial").status_code == 404
    assert server.http("GET", f"{mount}/issuer/nope").status_code == 500
    assert server.http("POST", f"{mount}/issue/missing", json={"common_name": "a.example.com"}).json()["errors"] == ["unknown role: missing"]
    assert server.http("POST", f"{mount}/roles/bad", json={"key_type": "rsa", "key_bits": 1024}).status_code == 400


def test_private_keys_never_reach_the_audit_log(tresor, tmp_path):
    log = tmp_path / "pki-audit.log"
    client = tresor.client()
    mount = "pki-audit-" + uuid.uuid4().hex[:6]
    client.sys.enable_secrets_engine(backend_type="pki", path=mount)
    client.sys.enable_audit_device(device_type="file", path="pki-audit", options={"file_path": str(log)})
    try:
        root = tresor.http("POST", f"{mount}/root/generate/exported", json={"common_name": "Audit Root", "key_type": "ec"}).json()["data"]
        tresor.http("POST", f"{mount}/roles/r", json={"allow_any_name": True, "key_type": "ec"})
        # A short TTL: the default would end after the root, which is refused, as by OpenBao.
        leaf = tresor.http("POST", f"{mount}/issue/r", json={"common_name": "a.example.com", "ttl": "1h"}).json()["data"]
        generated = tresor.http("POST", f"{mount}/keys/generate/exported", json={"key_type": "ec"}).json()["data"]
        tresor.http("POST", f"{mount}/revoke-with-key", json={"serial_number": leaf["serial_number"], "private_key": leaf["private_key"]})
    finally:
        client.sys.disable_audit_device(path="pki-audit")
        client.sys.disable_secrets_engine(path=mount)
    text = log.read_text()
    assert f"{mount}/issue/r" in text, "the requests were audited"
    for key in (root["private_key"], leaf["private_key"], generated["private_key"]):
        body = key.splitlines()[1]
        assert body not in text

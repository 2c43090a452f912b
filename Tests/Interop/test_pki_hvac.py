"""hvac's PKI client against Tresor and OpenBao: the calls and assertions of hvac 2.4.0's PKI
integration suite (32 tests) and of its lease tests, which issue certificates with
`generate_lease`. Each test gets its own mount with a root and a role, as hvac's setUp makes."""
import datetime
import uuid

import hvac
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def expired_ca():
    """A self-signed RSA CA that expired in the past, like hvac's tests/config_files/ca-cert.pem."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HVAC testing")])
    start = datetime.datetime(2019, 5, 16, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=1826))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
                           critical=True)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    return key_pem.decode(), cert.public_bytes(serialization.Encoding.PEM).decode()


def localhost_csr():
    """A CSR for CN=localhost with an RSA 2048 key and no SANs, like hvac's server-cert.csr."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def pki(any_server):
    client = any_server.client()
    mount = "pki-integration-test-" + uuid.uuid4().hex[:6]
    client.sys.enable_secrets_engine(backend_type="pki", path=mount)
    client.secrets.pki.generate_root(type="exported", common_name="Vault integration tests", mount_point=mount)
    client.secrets.pki.create_or_update_role("role-test", extra_params={"allow_any_name": True, "ttl": "6h", "max_ttl": "12h"},
                                             mount_point=mount)
    yield client, mount
    client.sys.disable_secrets_engine(path=mount)


def test_read_ca_certificate_and_chain(pki):
    client, mount = pki
    assert client.secrets.pki.read_ca_certificate(mount_point=mount).startswith("-----BEGIN CERTIFICATE-----")
    assert client.secrets.pki.read_ca_certificate_chain(mount_point=mount).startswith("-----BEGIN CERTIFICATE-----")


def test_list_and_read_certificates(pki):
    client, mount = pki
    serials = client.secrets.pki.list_certificates(mount_point=mount)["data"]["keys"]
    assert len(serials) == 1
    read = client.secrets.pki.read_certificate(serial=serials[0], mount_point=mount)
    assert read["data"]["certificate"].startswith("-----BEGIN CERTIFICATE-----") and read["data"]["revocation_time"] == 0


def test_submit_expired_ca_information(pki):
    client, mount = pki
    key_pem, cert_pem = expired_ca()
    imported = client.secrets.pki.submit_ca_information(pem_bundle=key_pem + cert_pem, mount_point=mount)
    assert len(imported["data"]["imported_issuers"]) == 1 and len(imported["data"]["imported_keys"]) == 1
    again = client.secrets.pki.submit_ca_information(pem_bundle=key_pem + cert_pem, mount_point=mount)
    assert again["data"]["imported_issuers"] is None and again["data"]["existing_issuers"] == imported["data"]["imported_issuers"]


def test_crl_configuration(pki):
    client, mount = pki
    assert client.secrets.pki.set_crl_configuration(expiry="72h", disable=False, mount_point=mount)
    config = client.secrets.pki.read_crl_configuration(mount_point=mount)["data"]
    assert config["expiry"] == "72h" and config["disable"] is False
    assert client.secrets.pki.read_crl(mount_point=mount).startswith("-----BEGIN X509 CRL-----")
    assert client.secrets.pki.rotate_crl(mount_point=mount)["data"]["success"] is True


def test_urls(pki):
    client, mount = pki
    params = {"issuing_certificates": ["http://127.0.0.1:8200/v1/pki/ca"], "crl_distribution_points": ["http://127.0.0.1:8200/v1/pki/crl"]}
    assert client.secrets.pki.set_urls(params, mount_point=mount)
    assert client.secrets.pki.read_urls(mount_point=mount)["data"]["issuing_certificates"] == params["issuing_certificates"]


def test_generate_intermediate_and_set_signed(pki, any_server):
    client, mount = pki
    assert client.secrets.pki.generate_intermediate(type="exported", common_name="Vault integration tests", mount_point=mount)
    int_mount = mount + "-signed-intermediate-ca"
    client.sys.enable_secrets_engine(backend_type="pki", path=int_mount)
    try:
        csr = client.secrets.pki.generate_intermediate(type="exported", common_name="Vault integration tests intermediate CA",
                                                       mount_point=int_mount)["data"]["csr"]
        signed = client.secrets.pki.sign_intermediate(csr=csr, common_name="Vault integration tests intermediate CA", mount_point=mount)
        assert len(signed["data"]["ca_chain"]) == 2
        assert client.secrets.pki.set_signed_intermediate(certificate=signed["data"]["certificate"], mount_point=int_mount)
        issuers = client.secrets.pki.list_issuers(mount_point=int_mount)["data"]
        assert len(issuers["keys"]) == 1 and issuers["key_info"][issuers["keys"][0]]["is_default"] is True
    finally:
        client.sys.disable_secrets_engine(path=int_mount)


def test_generate_and_revoke_certificate(pki):
    client, mount = pki
    issued = client.secrets.pki.generate_certificate(name="role-test", common_name="test.example.com", mount_point=mount)["data"]
    # Both ends are whole seconds read one after the other: a loaded machine can put them a second apart.
    assert issued["private_key_type"] == "rsa" and abs(issued["expiration"] - issued["not_before"] - (6 * 3600 + 30)) <= 1
    revoked = client.secrets.pki.revoke_certificate(serial_number=issued["serial_number"], mount_point=mount)
    assert revoked["data"]["state"] == "revoked"
    read = client.secrets.pki.read_certificate(serial=issued["serial_number"], mount_point=mount)["data"]
    assert read["revocation_time"] == revoked["data"]["revocation_time"]


def test_roles(pki):
    client, mount = pki
    written = client.secrets.pki.create_or_update_role("role-test-2", mount_point=mount)
    assert written["data"]["key_type"] == "rsa" and written["data"]["key_bits"] == 2048
    assert client.secrets.pki.read_role("role-test", mount_point=mount)["data"]["ttl"] == 6 * 3600
    assert sorted(client.secrets.pki.list_roles(mount_point=mount)["data"]["keys"]) == ["role-test", "role-test-2"]
    assert client.secrets.pki.delete_role("role-test-2", mount_point=mount).status_code == 204
    with pytest.raises(hvac.exceptions.InvalidPath):
        client.secrets.pki.read_role("role-test-2", mount_point=mount)


def test_generate_and_delete_root(any_server):
    client = any_server.client()
    mount = "pki-integration-test-test-ca-" + uuid.uuid4().hex[:6]
    client.sys.enable_secrets_engine(backend_type="pki", path=mount)
    try:
        root = client.secrets.pki.generate_root(type="exported", common_name="Vault integration tests", mount_point=mount)
        assert root["data"]["private_key"].startswith("-----BEGIN RSA PRIVATE KEY-----")
        deleted = client.secrets.pki.delete_root(mount_point=mount)
        assert deleted["warnings"] and deleted["data"] is None
        with pytest.raises(hvac.exceptions.InvalidPath):
            client.secrets.pki.list_issuers(mount_point=mount)
    finally:
        client.sys.disable_secrets_engine(path=mount)


def test_sign_intermediate_with_csr_values(pki):
    client, mount = pki
    int_mount = mount + "-intermediate-ca"
    client.sys.enable_secrets_engine(backend_type="pki", path=int_mount)
    try:
        csr = client.secrets.pki.generate_intermediate(type="exported", common_name="Vault integration tests", mount_point=int_mount)["data"]["csr"]
        assert client.secrets.pki.sign_intermediate(csr=csr, common_name="Vault integration tests", extra_params={"use_csr_values": True},
                                                    mount_point=mount)
    finally:
        client.sys.disable_secrets_engine(path=int_mount)


def test_sign_self_issued(pki):
    client, mount = pki
    _, cert_pem = expired_ca()
    signed = client.secrets.pki.sign_self_issued(certificate=cert_pem, mount_point=mount)["data"]
    assert signed["certificate"].startswith("-----BEGIN CERTIFICATE-----") and signed["issuing_ca"]


def test_sign_certificate_and_verbatim(pki):
    client, mount = pki
    csr = localhost_csr()
    signed = client.secrets.pki.sign_certificate(name="role-test", csr=csr, common_name="another.example.com", mount_point=mount)
    assert any("use_csr_common_name" in w for w in signed["warnings"])
    verbatim = client.secrets.pki.sign_verbatim(csr=csr, name="role-test", mount_point=mount)["data"]
    assert verbatim["expiration"] - verbatim["not_before"] == 6 * 3600 + 30


def test_tidy(pki):
    client, mount = pki
    assert client.secrets.pki.tidy(mount_point=mount).status_code == 202


def test_issuers(pki):
    client, mount = pki
    issuer_id = client.secrets.pki.list_issuers(mount_point=mount)["data"]["keys"][0]
    assert "issuer_name" in client.secrets.pki.read_issuer(issuer_id, mount_point=mount)["data"]
    client.secrets.pki.update_issuer(issuer_id, extra_params={"issuer_name": "new_issuer_name"}, mount_point=mount)
    assert client.secrets.pki.read_issuer(issuer_id, mount_point=mount)["data"]["issuer_name"] == "new_issuer_name"
    before = client.secrets.pki.read_issuer(issuer_id, mount_point=mount)["data"]["usage"]
    client.secrets.pki.update_issuer(issuer_id, mount_point=mount)
    after = client.secrets.pki.read_issuer(issuer_id, mount_point=mount)["data"]["usage"]
    assert set(before.split(",")) == set(after.split(",")) == {"crl-signing", "issuing-certificates", "ocsp-signing", "read-only"}
    client.secrets.pki.revoke_issuer(issuer_id, mount_point=mount)
    assert client.secrets.pki.read_issuer(issuer_id, mount_point=mount)["data"]["revoked"] is True
    client.secrets.pki.delete_issuer(issuer_id, mount_point=mount)
    with pytest.raises(hvac.exceptions.InternalServerError):
        client.secrets.pki.read_issuer(issuer_id, mount_point=mount)


# hvac's tests/utils configure_pki, and tests/integration_tests/api/system_backend/test_lease.py.
@pytest.fixture
def leased_pki(any_server):
    client = any_server.client()
    mount = "pki-lease-" + uuid.uuid4().hex[:6]
    client.sys.enable_secrets_engine(backend_type="pki", path=mount)
    client.write_data(f"{mount}/root/generate/internal", data={"common_name": "hvac.com", "ttl": "8760h"})
    client.write_data(f"{mount}/config/urls", data={"issuing_certificates": "http://127.0.0.1:8200/v1/pki/ca",
                                                     "crl_distribution_points": "http://127.0.0.1:8200/v1/pki/crl"})
    client.write_data(f"{mount}/roles/my-role", data={"allowed_domains": "hvac.com", "allow_subdomains": True, "generate_lease": True,
                                                       "max_ttl": "72h"})
    yield client, mount
    client.sys.disable_secrets_engine(path=mount)


def test_lease_read_list_revoke(leased_pki):
    client, mount = leased_pki
    issued = client.write_data(f"{mount}/issue/my-role", data={"common_name": "test.hvac.com"})
    lease_id = issued["lease_id"]
    assert lease_id.startswith(f"{mount}/issue/my-role/") and issued["renewable"] is False
    assert abs(issued["lease_duration"] - 72 * 3600) <= 5
    assert client.sys.read_lease(lease_id=lease_id)["data"]["id"] == lease_id
    assert "issue/" in client.sys.list_leases(prefix=mount)["data"]["keys"]
    serial = issued["data"]["serial_number"]
    assert client.sys.revoke_lease(lease_id=lease_id).status_code == 204
    with pytest.raises(hvac.exceptions.InvalidPath):
        client.sys.list_leases(prefix=mount)
    # Revoking the lease revoked the certificate.
    assert client.secrets.pki.read_certificate(serial=serial, mount_point=mount)["data"]["revocation_time"] > 0


def test_lease_revoke_prefix_and_force(leased_pki):
    client, mount = leased_pki
    first = client.write_data(f"{mount}/issue/my-role", data={"common_name": "a.hvac.com"})["lease_id"]
    assert client.sys.revoke_prefix(prefix=first)
    second = client.write_data(f"{mount}/issue/my-role", data={"common_name": "b.hvac.com"})["lease_id"]
    assert client.sys.revoke_force(prefix=second)
    with pytest.raises(hvac.exceptions.InvalidRequest, match="not allowed by this role"):
        client.write_data(f"{mount}/issue/my-role", data={"common_name": "evil.example.com"})

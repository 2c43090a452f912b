"""hvac's transit client against Tresor and OpenBao: every call its integration suite makes,
with the same assertions, on a fresh mount each time (hvac's own setUp/tearDown)."""
import base64
import hashlib
import uuid

import hvac
import pytest


def b64(text):
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.fixture
def transit(any_server):
    client = any_server.client()
    mount = "transit-" + uuid.uuid4().hex[:8]
    client.sys.enable_secrets_engine(backend_type="transit", path=mount)
    yield client, mount
    client.sys.disable_secrets_engine(path=mount)


def test_create_read_list_key(transit):
    client, mount = transit
    assert client.secrets.transit.create_key(name="testkey", mount_point=mount)
    assert client.secrets.transit.read_key(name="testkey", mount_point=mount)["data"]["name"] == "testkey"
    assert client.secrets.transit.list_keys(mount_point=mount)["data"]["keys"] == ["testkey"]


def test_delete_needs_deletion_allowed(transit):
    client, mount = transit
    client.secrets.transit.create_key(name="testkey", mount_point=mount)
    with pytest.raises(hvac.exceptions.InvalidRequest, match="deletion is not allowed"):
        client.secrets.transit.delete_key(name="testkey", mount_point=mount)
    client.secrets.transit.update_key_configuration(name="testkey", deletion_allowed=True, mount_point=mount)
    assert client.secrets.transit.delete_key(name="testkey", mount_point=mount)
    with pytest.raises(hvac.exceptions.InvalidPath):
        client.secrets.transit.read_key(name="testkey", mount_point=mount)


def test_rotate_and_export(transit):
    client, mount = transit
    client.secrets.transit.create_key(name="testkey", exportable=True, mount_point=mount)
    rotated = client.secrets.transit.rotate_key(name="testkey", mount_point=mount)
    assert rotated and rotated["data"]["latest_version"] == 2
    exported = client.secrets.transit.export_key(name="testkey", key_type="hmac-key", mount_point=mount)
    assert exported["data"]["name"] == "testkey" and len(exported["data"]["keys"]) == 2
    one = client.secrets.transit.export_key(name="testkey", key_type="encryption-key", version="latest", mount_point=mount)
    assert len(base64.b64decode(one["data"]["keys"]["2"])) == 32


def test_encrypt_decrypt_rewrap(transit):
    client, mount = transit
    client.secrets.transit.create_key(name="testkey", mount_point=mount)
    plaintext = b64("hi itsame hvac")
    ciphertext = client.secrets.transit.encrypt_data(name="testkey", plaintext=plaintext, mount_point=mount)["data"]["ciphertext"]
    assert ciphertext.startswith("vault:v1:")
    assert client.secrets.transit.decrypt_data(name="testkey", ciphertext=ciphertext, mount_point=mount)["data"]["plaintext"] == plaintext
    client.secrets.transit.rotate_key(name="testkey", mount_point=mount)
    rewrapped = client.secrets.transit.rewrap_data(name="testkey", ciphertext=ciphertext, mount_point=mount)["data"]
    assert rewrapped["ciphertext"].startswith("vault:v2:") and rewrapped["key_version"] == 2
    assert client.secrets.transit.decrypt_data(name="testkey", ciphertext=rewrapped["ciphertext"], mount_point=mount)["data"]["plaintext"] == plaintext


def test_data_key_random_hash_hmac(transit):
    client, mount = transit
    client.secrets.transit.create_key(name="testkey", mount_point=mount)
    data_key = client.secrets.transit.generate_data_key(name="testkey", key_type="plaintext", mount_point=mount)["data"]
    assert len(base64.b64decode(data_key["plaintext"])) == 32
    opened = client.secrets.transit.decrypt_data(name="testkey", ciphertext=data_key["ciphertext"], mount_point=mount)
    assert opened["data"]["plaintext"] == data_key["plaintext"]
    wrapped = client.secrets.transit.generate_data_key(name="testkey", key_type="wrapped", bits=128, mount_point=mount)["data"]
    assert "plaintext" not in wrapped and wrapped["ciphertext"].startswith("vault:v1:")
    assert len(base64.b64decode(client.secrets.transit.generate_random_bytes(n_bytes=32, mount_point=mount)["data"]["random_bytes"])) == 32
    summed = client.secrets.transit.hash_data(hash_input=b64("hash this ish"), algorithm="sha2-256", output_format="hex", mount_point=mount)
    assert summed["data"]["sum"] == hashlib.sha256(b"hash this ish").hexdigest()
    mac = client.secrets.transit.generate_hmac(name="testkey", hash_input=b64("hash this ish"), algorithm="sha2-256", mount_point=mount)
    assert mac["data"]["hmac"].startswith("vault:v1:")
    verified = client.secrets.transit.verify_signed_data(name="testkey", hash_input=b64("hash this ish"), hmac=mac["data"]["hmac"],
                                                         mount_point=mount)
    assert verified["data"]["valid"] is True


@pytest.mark.parametrize("salt", [None, "auto", "hash", "-1", "0", "1"])
def test_sign_verify_ed25519_ignores_pss_options(transit, salt):
    client, mount = transit
    client.secrets.transit.create_key(name="testkey", key_type="ed25519", mount_point=mount)
    signed = client.secrets.transit.sign_data(name="testkey", hash_input=b64("sign me"), hash_algorithm="sha2-256",
                                              signature_algorithm="pss", salt_length=salt, mount_point=mount)
    assert signed["data"]["signature"].startswith("vault:v1:")
    verified = client.secrets.transit.verify_signed_data(name="testkey", hash_input=b64("sign me"), signature=signed["data"]["signature"],
                                                         hash_algorithm="sha2-256", signature_algorithm="pss",
                                                         salt_length=salt or "auto", mount_point=mount)
    assert verified["data"]["valid"] is True


def test_backup_restore_and_their_refusals(transit):
    client, mount = transit
    client.secrets.transit.create_key(name="testkey", mount_point=mount)
    client.secrets.transit.update_key_configuration(name="testkey", exportable=True, allow_plaintext_backup=False, mount_point=mount)
    with pytest.raises(hvac.exceptions.InternalServerError, match="plaintext backup is disallowed on the policy"):
        client.secrets.transit.backup_key(name="testkey", mount_point=mount)
    client.secrets.transit.update_key_configuration(name="testkey", exportable=True, allow_plaintext_backup=True, mount_point=mount)
    backup = client.secrets.transit.backup_key(name="testkey", mount_point=mount)["data"]["backup"]
    assert client.secrets.transit.restore_key(backup=backup, name="new_test_ky", force=False, mount_point=mount)
    assert client.secrets.transit.restore_key(backup=backup, name="new_test_ky", force=True, mount_point=mount)
    with pytest.raises(hvac.exceptions.InternalServerError, match="already exists"):
        client.secrets.transit.restore_key(backup=backup, mount_point=mount)
    restored = client.secrets.transit.read_key(name="new_test_ky", mount_point=mount)["data"]
    assert restored["restore_info"]["version"] == 1 and restored["backup_info"]["version"] == 1


def test_trim_after_rotations(transit):
    client, mount = transit
    client.secrets.transit.create_key(name="testkey", mount_point=mount)
    for _ in range(10):
        client.secrets.transit.rotate_key(name="testkey", mount_point=mount)
    client.secrets.transit.update_key_configuration(name="testkey", min_decryption_version=3, min_encryption_version=9, mount_point=mount)
    assert client.secrets.transit.read_key(name="testkey", mount_point=mount)["data"]["latest_version"] == 11
    trimmed = client.secrets.transit.trim_key(name="testkey", min_version=2, mount_point=mount)
    assert trimmed and trimmed["data"]["min_available_version"] == 2

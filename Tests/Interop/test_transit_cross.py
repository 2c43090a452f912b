"""Transit keys move between Tresor and OpenBao: a backup taken on one restores on the other,
and what one encrypts or signs the other decrypts or verifies."""
import base64
import uuid

import pytest

SYMMETRIC = ["aes128-gcm96", "aes256-gcm96", "chacha20-poly1305"]
SIGNING = ["ed25519", "ecdsa-p256", "ecdsa-p384", "ecdsa-p521"]
RSA = ["rsa-2048", "rsa-3072", "rsa-4096"]


def b64(data):
    return base64.b64encode(data).decode()


def mount(server):
    path = "transit-" + uuid.uuid4().hex[:8]
    assert server.http("POST", f"sys/mounts/{path}", json={"type": "transit"}).status_code == 204
    return path


def write(server, path, body=None):
    r = server.http("POST", path, json=body or {})
    assert r.status_code in (200, 204), f"{server.name} {path}: {r.status_code} {r.text}"
    return r.json()["data"] if r.status_code == 200 else None


def move_key(source, target, key_type, derived=False):
    """Creates an exportable key on `source`, rotates it twice, restores its backup on `target`."""
    src, dst = mount(source), mount(target)
    body = {"type": key_type, "exportable": True, "allow_plaintext_backup": True}
    if derived:
        body["derived"] = True
    if key_type == "hmac":
        body["key_size"] = 32
    write(source, f"{src}/keys/k", body)
    write(source, f"{src}/keys/k/rotate")
    write(source, f"{src}/keys/k/rotate")
    r = source.http("GET", f"{src}/backup/k")
    assert r.status_code == 200, r.text
    write(target, f"{dst}/restore/k", {"backup": r.json()["data"]["backup"]})
    return src, dst


@pytest.mark.parametrize("direction", ["tresor->openbao", "openbao->tresor"])
@pytest.mark.parametrize("key_type", SYMMETRIC + RSA)
def test_encryption_keys_cross(tresor, openbao, key_type, direction):
    source, target = (tresor, openbao) if direction.startswith("tresor") else (openbao, tresor)
    src, dst = move_key(source, target, key_type)
    message = b64(b"moved between servers")
    for version in (1, 3):
        made = write(source, f"{src}/encrypt/k", {"plaintext": message, "key_version": version})
        assert made["ciphertext"].startswith(f"vault:v{version}:")
        assert write(target, f"{dst}/decrypt/k", {"ciphertext": made["ciphertext"]})["plaintext"] == message
        back = write(target, f"{dst}/encrypt/k", {"plaintext": message, "key_version": version})
        assert write(source, f"{src}/decrypt/k", {"ciphertext": back["ciphertext"]})["plaintext"] == message
    read = target.http("GET", f"{dst}/keys/k").json()["data"]
    assert read["latest_version"] == 3 and read["type"] == key_type and read["restore_info"]["version"] == 3


@pytest.mark.parametrize("direction", ["tresor->openbao", "openbao->tresor"])
def test_derived_and_aead_cross(tresor, openbao, direction):
    source, target = (tresor, openbao) if direction.startswith("tresor") else (openbao, tresor)
    src, dst = move_key(source, target, "aes256-gcm96", derived=True)
    context, aad, message = b64(b"tenant-7"), b64(b"header"), b64(b"derived")
    made = write(source, f"{src}/encrypt/k", {"plaintext": message, "context": context, "associated_data": aad})
    assert write(target, f"{dst}/decrypt/k", {"ciphertext": made["ciphertext"], "context": context, "associated_data": aad})["plaintext"] == message
    wrong = target.http("POST", f"{dst}/decrypt/k", json={"ciphertext": made["ciphertext"], "context": b64(b"tenant-8"), "associated_data": aad})
    assert wrong.status_code == 400 and "message authentication failed" in wrong.json()["errors"][0]


@pytest.mark.parametrize("direction", ["tresor->openbao", "openbao->tresor"])
def test_convergent_encryption_is_identical_on_both(tresor, openbao, direction):
    source, target = (tresor, openbao) if direction.startswith("tresor") else (openbao, tresor)
    src, dst = mount(source), mount(target)
    write(source, f"{src}/keys/k", {"derived": True, "convergent_encryption": True, "exportable": True, "allow_plaintext_backup": True})
    backup = source.http("GET", f"{src}/backup/k").json()["data"]["backup"]
    write(target, f"{dst}/restore/k", {"backup": backup})
    body = {"plaintext": b64(b"same in, same out"), "context": b64(b"ctx")}
    assert write(source, f"{src}/encrypt/k", body)["ciphertext"] == write(target, f"{dst}/encrypt/k", body)["ciphertext"]


@pytest.mark.parametrize("direction", ["tresor->openbao", "openbao->tresor"])
@pytest.mark.parametrize("key_type", SIGNING)
def test_signing_keys_cross(tresor, openbao, key_type, direction):
    source, target = (tresor, openbao) if direction.startswith("tresor") else (openbao, tresor)
    src, dst = move_key(source, target, key_type)
    message = b64(b"signed here, verified there")
    for marshaling in (["asn1", "jws"] if key_type.startswith("ecdsa") else ["asn1"]):
        for algorithm in ("sha2-256", "sha2-512"):
            body = {"input": message, "key_version": 2, "marshaling_algorithm": marshaling, "hash_algorithm": algorithm}
            signature = write(source, f"{src}/sign/k", body)["signature"]
            assert signature.startswith("vault:v2:")
            check = {"input": message, "signature": signature, "marshaling_algorithm": marshaling, "hash_algorithm": algorithm}
            assert write(target, f"{dst}/verify/k", check)["valid"] is True
            tampered = dict(check, input=b64(b"something else"))
            assert write(target, f"{dst}/verify/k", tampered)["valid"] is False
    if key_type == "ed25519":
        # Ed25519 is deterministic: both servers make the same signature from the same key.
        one = write(source, f"{src}/sign/k", {"input": message})["signature"]
        assert write(target, f"{dst}/sign/k", {"input": message})["signature"] == one


@pytest.mark.parametrize("direction", ["tresor->openbao", "openbao->tresor"])
def test_rsa_signatures_cross(tresor, openbao, direction):
    source, target = (tresor, openbao) if direction.startswith("tresor") else (openbao, tresor)
    src, dst = move_key(source, target, "rsa-2048")
    message = b64(b"rsa")
    for options in ({"signature_algorithm": "pkcs1v15"}, {"signature_algorithm": "pss", "salt_length": "hash"}):
        signature = write(source, f"{src}/sign/k", dict(options, input=message))["signature"]
        assert write(target, f"{dst}/verify/k", dict(options, input=message, signature=signature))["valid"] is True


@pytest.mark.parametrize("direction", ["tresor->openbao", "openbao->tresor"])
def test_hmac_cross(tresor, openbao, direction):
    source, target = (tresor, openbao) if direction.startswith("tresor") else (openbao, tresor)
    for key_type in ("aes256-gcm96", "hmac", "ed25519"):
        src, dst = move_key(source, target, key_type)
        mac = write(source, f"{src}/hmac/k/sha2-384", {"input": b64(b"mac me")})["hmac"]
        assert write(target, f"{dst}/hmac/k/sha2-384", {"input": b64(b"mac me")})["hmac"] == mac
        assert write(target, f"{dst}/verify/k/sha2-384", {"input": b64(b"mac me"), "hmac": mac})["valid"] is True


def test_rewrap_v1_to_v3_and_min_decryption_version(any_server):
    server = any_server
    path = mount(server)
    write(server, f"{path}/keys/k")
    old = write(server, f"{path}/encrypt/k", {"plaintext": b64(b"old")})["ciphertext"]
    write(server, f"{path}/keys/k/rotate")
    write(server, f"{path}/keys/k/rotate")
    rewrapped = write(server, f"{path}/rewrap/k", {"ciphertext": old})
    assert rewrapped["ciphertext"].startswith("vault:v3:") and rewrapped["key_version"] == 3
    write(server, f"{path}/keys/k/config", {"min_decryption_version": 2})
    refused = server.http("POST", f"{path}/decrypt/k", json={"ciphertext": old})
    assert refused.status_code == 400
    assert refused.json()["errors"] == ["ciphertext or signature version is disallowed by policy (too old)"]
    assert write(server, f"{path}/decrypt/k", {"ciphertext": rewrapped["ciphertext"]})["plaintext"] == b64(b"old")


def test_batch_with_one_bad_item(any_server):
    server = any_server
    path = mount(server)
    write(server, f"{path}/keys/k")
    good = write(server, f"{path}/encrypt/k", {"plaintext": b64(b"fine")})["ciphertext"]
    r = server.http("POST", f"{path}/decrypt/k", json={"batch_input": [
        {"ciphertext": good, "reference": "ok"}, {"ciphertext": "vault:v1:AAAA", "reference": "short"}]})
    assert r.status_code == 400
    results = r.json()["data"]["batch_results"]
    assert results[0] == {"plaintext": b64(b"fine"), "reference": "ok"}
    assert results[1]["reference"] == "short" and results[1]["error"] == "invalid ciphertext length" and results[1]["plaintext"] == ""
    partial = server.http("POST", f"{path}/encrypt/k", json={"partial_failure_response_code": 207, "batch_input": [
        {"plaintext": b64(b"a")}, {"plaintext": "!!not base64!!"}]})
    assert partial.status_code == 207
    items = partial.json()["data"]["batch_results"]
    assert items[0]["ciphertext"].startswith("vault:v1:") and "error" in items[1] and items[1]["reference"] == ""


@pytest.mark.parametrize("direction", ["tresor->openbao", "openbao->tresor"])
def test_derived_ed25519_exports_and_signs_alike(tresor, openbao, direction):
    """A derived ed25519 key exports its base public key, and signs per context, alike on both."""
    source, target = (tresor, openbao) if direction.startswith("tresor") else (openbao, tresor)
    src, dst = move_key(source, target, "ed25519", derived=True)
    exported = [s.http("GET", f"{p}/export/public-key/k/3").json()["data"]["keys"]["3"] for s, p in ((source, src), (target, dst))]
    assert exported[0] == exported[1]
    body = {"input": b64(b"per tenant"), "context": b64(b"tenant-1")}
    one, two = write(source, f"{src}/sign/k", body), write(target, f"{dst}/sign/k", body)
    assert one["signature"] == two["signature"] and one["public_key"] == two["public_key"]
    assert write(target, f"{dst}/verify/k", dict(body, signature=one["signature"]))["valid"] is True

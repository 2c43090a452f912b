"""Hostile input to transit gets a clear 4xx, never a crash or a leak."""
import base64
import uuid

import pytest


def b64(data):
    return base64.b64encode(data).decode()


@pytest.fixture
def keys(tresor):
    path = "hostile-" + uuid.uuid4().hex[:8]
    assert tresor.http("POST", f"sys/mounts/{path}", json={"type": "transit"}).status_code == 204
    for name, body in (("a", {}), ("b", {}), ("rsa", {"type": "rsa-2048"}), ("ed", {"type": "ed25519"})):
        assert tresor.http("POST", f"{path}/keys/{name}", json=body).status_code == 200
    yield path
    assert tresor.http("GET", "sys/health").status_code == 200, "the server survived"


def error(r, status=400):
    assert r.status_code == status, r.text
    return r.json()["errors"][0]


def test_bad_base64_everywhere(tresor, keys):
    for path, body in (("encrypt/a", {"plaintext": "%%%"}), ("encrypt/a", {"plaintext": b64(b"x"), "context": "%%"}),
                       ("decrypt/a", {"ciphertext": "vault:v1:%%%"}), ("hmac/a", {"input": "@@"}),
                       ("sign/ed", {"input": "!!"}), ("hash", {"input": "??"}), ("verify/ed", {"input": b64(b"x"), "signature": "vault:v1:%%"})):
        message = error(tresor.http("POST", f"{keys}/{path}", json=body))
        assert "base64" in message, (path, message)


def test_foreign_truncated_and_tampered_ciphertexts(tresor, keys):
    made = tresor.http("POST", f"{keys}/encrypt/a", json={"plaintext": b64(b"secret")}).json()["data"]["ciphertext"]
    assert error(tresor.http("POST", f"{keys}/decrypt/b", json={"ciphertext": made})) == "cipher: message authentication failed"
    raw = base64.b64decode(made.split(":")[2])
    truncated = "vault:v1:" + b64(raw[:10])
    assert error(tresor.http("POST", f"{keys}/decrypt/a", json={"ciphertext": truncated})) == "invalid ciphertext length"
    for index in (0, 12, len(raw) - 1):
        flipped = bytearray(raw)
        flipped[index] ^= 0x40
        r = tresor.http("POST", f"{keys}/decrypt/a", json={"ciphertext": "vault:v1:" + b64(bytes(flipped))})
        assert error(r) == "cipher: message authentication failed"
        assert "secret" not in r.text and b64(b"secret") not in r.text
    for bad, message in (("nonsense", "invalid ciphertext: no prefix"), ("vault:v1", "invalid ciphertext: wrong number of fields"),
                         ("vault:vX:abc", "invalid ciphertext: version number could not be decoded"),
                         ("vault:v9:" + b64(raw), "invalid ciphertext: version is too new")):
        assert error(tresor.http("POST", f"{keys}/decrypt/a", json={"ciphertext": bad})) == message
    rsa = tresor.http("POST", f"{keys}/encrypt/rsa", json={"plaintext": b64(b"r")}).json()["data"]["ciphertext"]
    r = tresor.http("POST", f"{keys}/decrypt/rsa", json={"ciphertext": rsa[:-8] + "AAAAAAA="})
    assert r.status_code == 400 and "decrypt" in r.json()["errors"][0]


def test_rsa_input_over_the_size_limit(tresor, keys):
    fits = tresor.http("POST", f"{keys}/encrypt/rsa", json={"plaintext": b64(b"x" * 190)})
    assert fits.status_code == 200
    message = error(tresor.http("POST", f"{keys}/encrypt/rsa", json={"plaintext": b64(b"x" * 191)}))
    assert "message too long" in message


def test_huge_batches_are_bounded(tresor, keys):
    item = {"plaintext": b64(b"x")}
    r = tresor.http("POST", f"{keys}/encrypt/a", json={"batch_input": [item] * 100_000})
    assert r.status_code == 400 and r.json()["errors"], r.text[:200]
    r = tresor.http("POST", f"{keys}/encrypt/a", json={"batch_input": [item] * 10_000})
    assert r.status_code == 200 and len(r.json()["data"]["batch_results"]) == 10_000
    r = tresor.http("POST", f"{keys}/encrypt/a", json={"batch_input": "not a list"})
    assert r.status_code >= 400 and r.json()["errors"]
    r = tresor.http("POST", f"{keys}/encrypt/a", json={"batch_input": [1, 2]})
    assert r.status_code == 400


def test_names_and_sizes(tresor, keys):
    assert tresor.http("POST", f"{keys}/keys/-bad", json={}).status_code == 404
    assert error(tresor.http("POST", f"{keys}/keys/x", json={"type": "kitty"})) == "unknown key type kitty"
    assert error(tresor.http("POST", f"{keys}/random/200000")) == "'bytes' should be less than 131072"
    assert error(tresor.http("POST", f"{keys}/datakey/plaintext/a", json={"bits": 1024})) == "invalid bit length"
    assert "latest version" in error(tresor.http("POST", f"{keys}/restore/x", json={"backup": b64(b"{\"policy\":{\"name\":\"x\",\"type\":0}}")}))
    assert "base64" in error(tresor.http("POST", f"{keys}/restore/x", json={"backup": "%%"}))
    assert "invalid key size" in error(tresor.http("POST", f"{keys}/keys/h", json={"type": "hmac", "key_size": 4}))


def test_key_material_and_plaintext_never_reach_the_audit_log(tresor, keys, tmp_path):
    log = tmp_path / "transit-audit.log"
    client = tresor.client()
    client.sys.enable_audit_device(device_type="file", path="transit-audit", options={"file_path": str(log)})
    try:
        secret = b64(b"the plaintext nobody may log")
        tresor.http("POST", f"{keys}/keys/exp", json={"exportable": True, "allow_plaintext_backup": True})
        made = tresor.http("POST", f"{keys}/encrypt/exp", json={"plaintext": secret}).json()["data"]["ciphertext"]
        assert tresor.http("POST", f"{keys}/decrypt/exp", json={"ciphertext": made}).json()["data"]["plaintext"] == secret
        key = tresor.http("GET", f"{keys}/export/encryption-key/exp/1").json()["data"]["keys"]["1"]
        backup = tresor.http("GET", f"{keys}/backup/exp").json()["data"]["backup"]
        data_key = tresor.http("POST", f"{keys}/datakey/plaintext/exp").json()["data"]["plaintext"]
    finally:
        client.sys.disable_audit_device(path="transit-audit")
    text = log.read_text()
    assert f"{keys}/decrypt/exp" in text, "the requests were audited"
    for clear in (secret, key, backup[:40], data_key, made):
        assert clear not in text

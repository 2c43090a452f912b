"""Bring your own key: the real `bao transit import` CLI seals key material to the server's
wrapping key; the same material imported into Tresor and OpenBao gives the same results."""
import base64
import json
import os
import subprocess
import uuid

import pytest
from conftest import TRESOR_BIN


def b64(data):
    return base64.b64encode(data).decode()


def mount(server):
    path = "byok-" + uuid.uuid4().hex[:8]
    assert server.http("POST", f"sys/mounts/{path}", json={"type": "transit"}).status_code == 204
    return path


def pkcs8(algorithm, *options):
    pem = subprocess.run(["openssl", "genpkey", "-algorithm", algorithm, *options], capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkcs8", "-topk8", "-nocrypt", "-outform", "DER"], input=pem, capture_output=True, check=True).stdout
    return b64(der)


MATERIAL = {
    "aes256-gcm96": lambda: b64(os.urandom(32)),
    "chacha20-poly1305": lambda: b64(os.urandom(32)),
    "hmac": lambda: b64(os.urandom(48)),
    "ed25519": lambda: pkcs8("ed25519"),
    "ecdsa-p256": lambda: pkcs8("EC", "-pkeyopt", "ec_paramgen_curve:P-256"),
    "ecdsa-p384": lambda: pkcs8("EC", "-pkeyopt", "ec_paramgen_curve:P-384"),
    "rsa-2048": lambda: pkcs8("RSA", "-pkeyopt", "rsa_keygen_bits:2048"),
}


@pytest.mark.parametrize("key_type", sorted(MATERIAL))
def test_bao_cli_imports_the_same_key_into_both(tresor, openbao, key_type):
    material = MATERIAL[key_type]()
    paths = {}
    for server in (tresor, openbao):
        path = mount(server)
        out = server.bao("transit", "import", f"{path}/keys/imp", material, f"type={key_type}", "exportable=true")
        assert out.returncode == 0, f"{server.name}: {out.stdout}{out.stderr}"
        assert "Success!" in out.stdout
        paths[server.name] = path
        read = server.http("GET", f"{path}/keys/imp").json()["data"]
        assert read["imported_key"] is True and read["type"] == key_type and read["latest_version"] == 1
    t, o = paths["tresor"], paths["openbao"]
    message = b64(b"imported")
    if key_type in ("aes256-gcm96", "chacha20-poly1305", "rsa-2048"):
        made = tresor.http("POST", f"{t}/encrypt/imp", json={"plaintext": message}).json()["data"]["ciphertext"]
        assert openbao.http("POST", f"{o}/decrypt/imp", json={"ciphertext": made}).json()["data"]["plaintext"] == message
    if key_type == "hmac":
        macs = [s.http("POST", f"{p}/hmac/imp", json={"input": message}).json()["data"]["hmac"] for s, p in ((tresor, t), (openbao, o))]
        assert macs[0] == macs[1]
    if key_type.startswith(("ed25519", "ecdsa", "rsa")):
        extra = {"signature_algorithm": "pkcs1v15"} if key_type.startswith("rsa") else {}
        signature = tresor.http("POST", f"{t}/sign/imp", json=dict(extra, input=message)).json()["data"]["signature"]
        check = openbao.http("POST", f"{o}/verify/imp", json=dict(extra, input=message, signature=signature)).json()["data"]
        assert check["valid"] is True
        public = [s.http("GET", f"{p}/export/public-key/imp/1").json()["data"]["keys"]["1"].strip() for s, p in ((tresor, t), (openbao, o))]
        assert public[0] == public[1]


def test_import_refusals(tresor):
    path = mount(tresor)
    material = b64(os.urandom(32))
    assert tresor.bao("transit", "import", f"{path}/keys/k", material).returncode == 0
    again = tresor.bao("transit", "import", f"{path}/keys/k", material)
    assert again.returncode != 0 and "existing key" in again.stdout + again.stderr
    wrong_size = tresor.bao("transit", "import", f"{path}/keys/short", b64(os.urandom(16)), "type=aes256-gcm96")
    assert wrong_size.returncode != 0 and "invalid key size" in wrong_size.stdout + wrong_size.stderr
    r = tresor.http("POST", f"{path}/keys/bad/import", json={"ciphertext": b64(os.urandom(600))})
    assert r.status_code == 400
    r = tresor.http("POST", f"{path}/keys/k/rotate")
    assert r.status_code == 500 and "does not allow rotation" in r.json()["errors"][0]
    # A new version of an imported key comes in through import_version.
    assert tresor.bao("transit", "import-version", f"{path}/keys/k", b64(os.urandom(32))).returncode == 0
    assert tresor.http("GET", f"{path}/keys/k").json()["data"]["latest_version"] == 2
    listed = tresor.http("LIST", f"{path}/keys").json()["data"]["keys"]
    assert "k" in listed


def tresor_cli(server, *args):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": server.home, "VAULT_ADDR": server.addr, "VAULT_TOKEN": server.token}
    return subprocess.run([TRESOR_BIN, *args], capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize("server_name", ["tresor", "openbao"])
def test_tresor_cli_transit_import_and_write(request, server_name, tmp_path):
    """`tresor transit import` seals keys for either server, and `tresor write` drives transit."""
    server = request.getfixturevalue(server_name)
    path = mount(server)
    key = os.urandom(32)
    key_file = tmp_path / "key.b64"
    key_file.write_text(b64(key))
    out = tresor_cli(server, "transit", "import", f"{path}/keys/mine", f"@{key_file}", "exportable=true")
    assert out.returncode == 0 and "Success!" in out.stdout, out.stdout + out.stderr
    exported = server.http("GET", f"{path}/export/encryption-key/mine/1").json()["data"]["keys"]["1"]
    assert base64.b64decode(exported) == key
    out = tresor_cli(server, "transit", "import-version", f"{path}/keys/mine", b64(os.urandom(32)))
    assert out.returncode == 0, out.stdout + out.stderr
    out = tresor_cli(server, "write", "-format=json", f"{path}/encrypt/mine", f"plaintext={b64(b'from the cli')}")
    assert out.returncode == 0, out.stderr
    ciphertext = json.loads(out.stdout)["data"]["ciphertext"]
    assert ciphertext.startswith("vault:v2:")
    out = tresor_cli(server, "write", "-field=plaintext", f"{path}/decrypt/mine", f"ciphertext={ciphertext}")
    assert out.returncode == 0 and base64.b64decode(out.stdout.strip()) == b"from the cli"
    bad = tresor_cli(server, "transit", "import", f"{path}/mine", b64(key))
    assert bad.returncode != 0 and ":path:/keys/:name:" in bad.stderr

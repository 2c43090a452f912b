"""The PKI rows of the side-by-side benchmark: request bodies and OCSP paths of each server's
own, and the CRL rebuild over many revoked certificates."""
import base64
import statistics
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import json

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

# (workload, body name); OCSP uses the server's own path instead of a body.
WORKLOADS = [
    (("PKI issue EC P-256 leaf (16 conns)", "/v1/pki/issue/ec", "post_file.lua", 16), "issue"),
    (("PKI issue RSA-2048 leaf (4 conns)", "/v1/pki/issue/rsa", "post_file.lua", 4), "issue"),
    (("PKI sign CSR (16 conns)", "/v1/pki/sign/ec", "post_file.lua", 16), "sign"),
    (("PKI OCSP GET (16 conns)", "{ocsp}", None, 16), None),
]


def setup(server):
    """An EC P-256 root, roles for EC and RSA leaves, and the request bodies and OCSP path."""
    server.write("sys/mounts/pki", {"type": "pki"})
    server.write("pki/root/generate/internal", {"common_name": "Bench Root", "key_type": "ec"})
    for name, key in (("ec", {"key_type": "ec"}), ("rsa", {"key_type": "rsa", "key_bits": 2048})):
        server.write(f"pki/roles/{name}", dict(key, allowed_domains="example.com", allow_subdomains=True, ttl="1h", max_ttl="72h"))
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "csr.example.com")]))
           .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode())
    for name, body in (("issue", {"common_name": "leaf.example.com"}), ("sign", {"csr": csr, "common_name": "csr.example.com"})):
        path = Path(server.home) / f"pki-{name}.json"
        path.write_text(json.dumps(body))
        server.bodies[name] = str(path)
    leaf = x509.load_pem_x509_certificate(server.post("pki/issue/ec", {"common_name": "ocsp.example.com"})["certificate"].encode())
    root = x509.load_pem_x509_certificate(requests.get(f"{server.addr}/v1/pki/ca/pem", timeout=10).text.encode())
    request = ocsp.OCSPRequestBuilder().add_certificate(leaf, root, hashes.SHA1()).build().public_bytes(serialization.Encoding.DER)
    server.ocsp_path = "/v1/pki/ocsp/" + urllib.parse.quote(base64.b64encode(request).decode(), safe="")


def crl_rebuild_seconds(server, revoked, rounds=3):
    """Issues and revokes `revoked` certificates on a mount of their own (CRLs rebuilt only on
    request, as auto_rebuild does), then times `crl/rotate`: the median of `rounds`."""
    server.write("sys/mounts/pki-crl", {"type": "pki"})
    server.write("pki-crl/root/generate/internal", {"common_name": "CRL Root", "key_type": "ec"})
    server.write("pki-crl/config/crl", {"auto_rebuild": True})
    server.write("pki-crl/roles/r", {"allow_any_name": True, "key_type": "ec", "ttl": "72h"})
    headers = {"X-Vault-Token": "root"}
    sessions = {}

    def one(index):
        import threading
        session = sessions.setdefault(threading.get_ident(), requests.Session())
        issued = session.post(f"{server.addr}/v1/pki-crl/issue/r", headers=headers, json={"common_name": f"c{index}.example.com"}, timeout=60)
        serial = issued.json()["data"]["serial_number"]
        session.post(f"{server.addr}/v1/pki-crl/revoke", headers=headers, json={"serial_number": serial}, timeout=60).raise_for_status()

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, range(revoked)))
    samples = []
    for _ in range(rounds):
        started = time.monotonic()
        requests.get(f"{server.addr}/v1/pki-crl/crl/rotate", headers=headers, timeout=600).raise_for_status()
        samples.append(time.monotonic() - started)
    crl = requests.get(f"{server.addr}/v1/pki-crl/crl", timeout=600).content
    count = len(x509.load_der_x509_crl(crl))
    if count != revoked:
        raise RuntimeError(f"{server.name}: CRL lists {count} certificates, expected {revoked}")
    return statistics.median(samples)

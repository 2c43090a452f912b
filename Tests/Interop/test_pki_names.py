"""Which names a role lets through, Tresor against OpenBao: the same roles, the same requests,
the same verdicts and error messages."""
import uuid

from cryptography import x509

ROLES = {
    "subdomains": {"allowed_domains": "example.com", "allow_subdomains": True},
    "bare": {"allowed_domains": "example.com", "allow_bare_domains": True},
    "globs": {"allowed_domains": "*.example.com,ex*.org", "allow_glob_domains": True},
    "no-wildcards": {"allowed_domains": "example.com", "allow_subdomains": True, "allow_wildcard_certificates": False},
    "any-name": {"allow_any_name": True},
    "any-name-loose": {"allow_any_name": True, "enforce_hostnames": False},
    "no-localhost": {"allowed_domains": "example.com", "allow_subdomains": True, "allow_localhost": False},
    "cn-email-only": {"allow_any_name": True, "cn_validations": "email"},
    "no-ip": {"allow_any_name": True, "allow_ip_sans": False},
    "cidr": {"allow_any_name": True, "allowed_ip_sans_cidr": "10.0.0.0/8"},
    "uris": {"allow_any_name": True, "allowed_uri_sans": "spiffe://cluster/*"},
}

# (role, request)
CASES = [
    ("subdomains", {"common_name": "a.b.example.com"}),
    ("subdomains", {"common_name": "*.example.com"}),
    ("subdomains", {"common_name": "*.a.example.com"}),
    ("subdomains", {"common_name": "x*.example.com"}),
    ("subdomains", {"common_name": "*.*.example.com"}),
    ("subdomains", {"common_name": "a.*.example.com"}),
    ("subdomains", {"common_name": "-bad.example.com"}),
    ("subdomains", {"common_name": "bad_name.example.com"}),
    ("subdomains", {"common_name": "example.com"}),
    ("subdomains", {"common_name": "WWW.EXAMPLE.COM"}),
    ("subdomains", {"common_name": "foo@sub.example.com"}),
    ("subdomains", {"common_name": "foo@example.com"}),
    ("subdomains", {"common_name": "localhost"}),
    ("subdomains", {"common_name": "foo.localhost"}),
    ("subdomains", {"common_name": "www.example.org"}),
    ("subdomains", {"common_name": "www.example.com", "alt_names": "api.example.com,evil.org"}),
    ("subdomains", {"common_name": "www.example.com", "alt_names": "ops@example.net"}),
    ("subdomains", {"common_name": "www.example.com", "exclude_cn_from_sans": True}),
    ("subdomains", {"alt_names": "www.example.com"}),
    ("bare", {"common_name": "example.com"}),
    ("bare", {"common_name": "EXAMPLE.COM"}),
    ("bare", {"common_name": "foo@example.com"}),
    ("bare", {"common_name": "www.example.com"}),
    ("bare", {"common_name": "*.example.com"}),
    ("globs", {"common_name": "a.example.com"}),
    ("globs", {"common_name": "a.b.example.com"}),
    ("globs", {"common_name": "*.example.com"}),
    ("globs", {"common_name": "example.org"}),
    ("globs", {"common_name": "exfoo.org"}),
    ("globs", {"common_name": "example.com"}),
    ("no-wildcards", {"common_name": "*.example.com"}),
    ("no-wildcards", {"common_name": "www.example.com"}),
    ("any-name", {"common_name": "under_score.com"}),
    ("any-name", {"common_name": "not a hostname"}),
    ("any-name", {"common_name": "foo@bar"}),
    ("any-name", {"common_name": "*.x.com"}),
    ("any-name-loose", {"common_name": "not a hostname"}),
    ("no-localhost", {"common_name": "localhost"}),
    ("cn-email-only", {"common_name": "www.example.com"}),
    ("cn-email-only", {"common_name": "me@example.com"}),
    ("no-ip", {"common_name": "www.example.com", "ip_sans": "10.1.2.3"}),
    ("any-name", {"common_name": "www.example.com", "ip_sans": "not-an-ip"}),
    ("cidr", {"common_name": "www.example.com", "ip_sans": "10.1.2.3"}),
    ("cidr", {"common_name": "www.example.com", "ip_sans": "192.168.1.1"}),
    ("uris", {"common_name": "w.example.com", "uri_sans": "spiffe://cluster/ns/default"}),
    ("uris", {"common_name": "w.example.com", "uri_sans": "spiffe://other/ns"}),
    ("any-name", {"common_name": "w.example.com", "uri_sans": "spiffe://cluster/ns"}),
    ("any-name", {}),
]


def verdicts(server):
    client = server.client()
    mount = "pki-names-" + uuid.uuid4().hex[:6]
    client.sys.enable_secrets_engine(backend_type="pki", path=mount)
    try:
        client.write_data(f"{mount}/root/generate/internal", data={"common_name": "Names Root", "key_type": "ec"})
        for name, config in ROLES.items():
            client.write_data(f"{mount}/roles/{name}", data=dict(config, key_type="ec", ttl="1h"))
        out = []
        for role, request in CASES:
            response = server.http("POST", f"{mount}/issue/{role}", json=request)
            body = response.json()
            if response.status_code == 200:
                cert = x509.load_pem_x509_certificate(body["data"]["certificate"].encode())
                try:
                    names = [str(n.value) for n in cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value]
                except x509.ExtensionNotFound:
                    names = []
                out.append((role, request, 200, cert.subject.rfc4514_string(), names))
            else:
                out.append((role, request, response.status_code, body["errors"]))
        return out
    finally:
        client.sys.disable_secrets_engine(path=mount)


def test_name_rules_match_openbao(tresor, openbao):
    ours, theirs = verdicts(tresor), verdicts(openbao)
    mismatches = [(a, b) for a, b in zip(ours, theirs) if a != b]
    assert not mismatches, "\n".join(f"tresor {a}\nopenbao {b}" for a, b in mismatches)
    # The table exercises both outcomes.
    assert {v[2] for v in ours} == {200, 400}

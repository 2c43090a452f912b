"""The tutorial's Kubernetes phase without a cluster: a TokenReview double with its own CA."""
import json
from pathlib import Path

import hvac
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from k8s_double import KubernetesDouble
from production import make_tls
from test_kv_cli import ok

POLICY = 'path "secret/data/myapp" { capabilities = ["read"] }\npath "secret/data/myapp/*" { capabilities = ["read"] }'


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    directory = tmp_path_factory.mktemp("k8s")
    double = KubernetesDouble(make_tls(directory))
    double.create_account("default", "myapp-sa")
    double.create_account("default", "vault-auth")
    double.create_account("other", "myapp-sa")
    double.create_account("default", "intruder")
    yield double
    double.stop()


def configure(server, cluster):
    root = server.client()
    if "kubernetes/" not in root.sys.list_auth_methods()["data"]:
        out = server.bao("auth", "enable", "kubernetes")
        assert out.returncode == 0, out.stderr
    ca = Path(server.home) / "k8s-ca.pem"
    ca.write_text(cluster.ca_pem)
    reviewer = cluster.token("default", "vault-auth", lifetime=86400)
    ok(server.bao("write", "auth/kubernetes/config", f"kubernetes_host={cluster.url}", f"kubernetes_ca_cert=@{ca}",
                  f"token_reviewer_jwt={reviewer}"))
    ok(server.bao("policy", "write", "myapp-policy", "-", stdin=POLICY))
    ok(server.bao("write", "auth/kubernetes/role/myapp-role", "bound_service_account_names=myapp-sa",
                  "bound_service_account_namespaces=default", "policies=myapp-policy", "ttl=1h"))
    root.secrets.kv.v2.create_or_update_secret(path="myapp", secret={"username": "app", "password": "k8s-secret"})
    root.secrets.kv.v2.create_or_update_secret(path="elsewhere", secret={"x": "y"})


def check_token(server, auth):
    assert auth["policies"] == ["default", "myapp-policy"]
    assert auth["lease_duration"] == 3600
    assert auth["metadata"]["service_account_name"] == "myapp-sa"
    assert auth["metadata"]["service_account_namespace"] == "default"
    assert auth["metadata"]["role"] == "myapp-role"
    app = server.client(auth["client_token"])
    assert app.secrets.kv.v2.read_secret_version(path="myapp", raise_on_deleted_version=True)["data"]["data"]["password"] == "k8s-secret"
    with pytest.raises(hvac.exceptions.Forbidden):
        app.secrets.kv.v2.read_secret_version(path="elsewhere", raise_on_deleted_version=True)
    with pytest.raises(hvac.exceptions.Forbidden):
        app.secrets.kv.v2.create_or_update_secret(path="myapp", secret={"x": "y"})


def test_login_with_curl_cli_and_hvac(any_server, cluster):
    s = any_server
    configure(s, cluster)
    config = s.client().read("auth/kubernetes/config")["data"]
    assert config["kubernetes_host"] == cluster.url
    assert "token_reviewer_jwt" not in config
    jwt = cluster.token("default", "myapp-sa")

    r = requests.post(f"{s.addr}/v1/auth/kubernetes/login", json={"role": "myapp-role", "jwt": jwt}, timeout=10)
    assert r.status_code == 200, r.text
    check_token(s, r.json()["auth"])

    out = json.loads(ok(s.bao("write", "-format=json", "auth/kubernetes/login", "role=myapp-role", f"jwt={jwt}", token="")))
    check_token(s, out["auth"])

    login = s.client(token="").auth.kubernetes.login(role="myapp-role", jwt=jwt)
    check_token(s, login["auth"])
    review = cluster.reviews[-1]
    assert review["spec"]["token"] == jwt


def refuse(server, role, jwt):
    r = requests.post(f"{server.addr}/v1/auth/kubernetes/login", json={"role": role, "jwt": jwt}, timeout=15)
    assert r.status_code in (400, 403), r.text
    body = r.json()
    assert "auth" not in body or body.get("auth") is None
    assert body["errors"] and body["errors"][0]
    return body["errors"][0]


def test_refusals(tresor, cluster):
    configure(tresor, cluster)
    assert "namespace" in refuse(tresor, "myapp-role", cluster.token("other", "myapp-sa"))
    assert "service account" in refuse(tresor, "myapp-role", cluster.token("default", "intruder"))
    assert "expired" in refuse(tresor, "myapp-role", cluster.token("default", "myapp-sa", lifetime=-60))
    assert refuse(tresor, "myapp-role", "not-a-jwt")
    assert refuse(tresor, "myapp-role", "a.b.c")
    assert "role" in refuse(tresor, "no-such-role", cluster.token("default", "myapp-sa"))
    forged = cluster.token("default", "myapp-sa", key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    assert "not valid" in refuse(tresor, "myapp-role", forged)

    # A deleted service account's token no longer reviews as authenticated.
    cluster.create_account("default", "myapp-sa")
    stale = cluster.token("default", "myapp-sa")
    cluster.create_account("default", "myapp-sa")  # recreated with a new uid
    assert "not valid" in refuse(tresor, "myapp-role", stale)

    # An API server whose certificate we were not told to trust.
    untrusted = Path(tresor.home) / "untrusted"
    untrusted.mkdir(exist_ok=True)
    other_ca = make_tls(untrusted)
    ok(tresor.bao("write", "auth/kubernetes/config", f"kubernetes_host={cluster.url}", f"kubernetes_ca_cert=@{other_ca[2]}"))
    message = refuse(tresor, "myapp-role", cluster.token("default", "myapp-sa"))
    assert "cannot reach" in message or "certificate" in message.lower()
    configure(tresor, cluster)

    # With pem_keys the signature is checked locally too.
    ok(tresor.bao("write", "auth/kubernetes/config", f"pem_keys={cluster.public_key_pem()}"))
    assert "signature" in refuse(tresor, "myapp-role", forged)
    r = requests.post(f"{tresor.addr}/v1/auth/kubernetes/login", json={"role": "myapp-role", "jwt": cluster.token("default", "myapp-sa")}, timeout=10)
    assert r.status_code == 200, r.text

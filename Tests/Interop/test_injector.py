"""`tresor injector` driven with real AdmissionReview documents, as the API server sends them.

The returned JSONPatch is applied with a real JSONPatch library, the patched Pod is validated
against the Kubernetes 1.30 schema (kubernetes-validate, strict), and its containers and volumes
are compared with what vault-k8s v1.7.6 produces for the same pod (written down below from its
source; see docs/notes/vault-k8s-injector.md). Then the patched pod is run: its init container
and sidecar commands, with the env and args exactly as the patch gives them, against a real
Tresor server and the TokenReview double, inside a mount namespace where temp directories stand
in for /vault/secrets, /home/vault and the service-account mount.
"""
import base64
import copy
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import ssl

import jsonpatch
import kubernetes_validate
import pytest
import requests

from conftest import TRESOR_BIN
from k8s_double import KubernetesDouble
from production import make_tls

TEMPLATE = """{{- with secret "internal/data/database/config" -}}
postgresql://{{ .Data.data.username }}:{{ .Data.data.password }}@postgres:5432/wizard
{{- end -}}
"""
# What the seed's template renders for username=db-readonly-username, password=db-secret-password.
RENDERED = "postgresql://db-readonly-username:db-secret-password@postgres:5432/wizard"

SEED_ANNOTATIONS = {
    "vault.hashicorp.com/agent-inject": "true",
    "vault.hashicorp.com/role": "internal-app",
    "vault.hashicorp.com/agent-inject-secret-config": "internal/data/database/config",
    "vault.hashicorp.com/agent-inject-template-config": TEMPLATE,
}

SA_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


def seed_pod(annotations=None, namespace="default"):
    """The seed Deployment's pod template as the webhook receives it: the ServiceAccount
    admission plugin has already added the projected token volume and its mount."""
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"generateName": "orgchart-69697d9598-", "namespace": namespace, "labels": {"app": "orgchart"},
                     "annotations": dict(SEED_ANNOTATIONS if annotations is None else annotations)},
        "spec": {
            "serviceAccountName": "internal-app",
            "containers": [{"name": "orgchart", "image": "jweissig/app:0.0.1",
                            "volumeMounts": [{"name": "kube-api-access-7x2lq", "mountPath": SA_MOUNT, "readOnly": True}]}],
            "volumes": [{"name": "kube-api-access-7x2lq", "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
            ]}}],
        },
    }


# vault-k8s v1.7.6 for the seed pod (agent-inject/agent/container_*.go, agent.go): what each
# injected container mounts, the env names in order, resources and security context, and the
# volumes it adds. Tresor differs by design only in image, command and args: its image has no
# shell, so the agent reads VAULT_CONFIG itself instead of `sh -ec 'echo $VAULT_CONFIG | base64 -d ...'`.
VAULT_K8S = {
    "init_mounts": [("home-init", "/home/vault", None), ("kube-api-access-7x2lq", SA_MOUNT, True), ("vault-secrets", "/vault/secrets", None)],
    "sidecar_mounts": [("kube-api-access-7x2lq", SA_MOUNT, True), ("home-sidecar", "/home/vault", None), ("vault-secrets", "/vault/secrets", None)],
    "env": ["NAMESPACE", "HOST_IP", "POD_IP", "VAULT_LOG_LEVEL", "VAULT_LOG_FORMAT", "VAULT_CONFIG"],
    "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "250m", "memory": "64Mi"}},
    "security": {"capabilities": {"drop": ["ALL"]}, "runAsUser": 100, "runAsGroup": 1000, "runAsNonRoot": True,
                 "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False},
    "volumes": {"home-init": {"emptyDir": {"medium": "Memory"}}, "home-sidecar": {"emptyDir": {"medium": "Memory"}},
                "vault-secrets": {"emptyDir": {"medium": "Memory"}}},
    "app_mount": {"name": "vault-secrets", "mountPath": "/vault/secrets"},
    "agent_config": {"auto_auth": {"method": {"type": "kubernetes", "mount_path": "auth/kubernetes",
                                              "config": {"role": "internal-app", "token_path": SA_MOUNT + "/token"}},
                                   "sink": [{"type": "file", "config": {"path": "/home/vault/.vault-token"}}]},
                     "pid_file": "/home/vault/.pid",
                     "template": [{"destination": "/vault/secrets/config", "contents": TEMPLATE,
                                   "left_delimiter": "{{", "right_delimiter": "}}"}],
                     "template_config": {"exit_on_retry_failure": True}},
}


def review(pod, namespace="default", uid="b5d2c1e0-1c0e-4f7e-9d59-3c2f7a1e2d01"):
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": uid, "kind": {"group": "", "version": "v1", "kind": "Pod"},
                        "resource": {"group": "", "version": "v1", "resource": "pods"}, "namespace": namespace,
                        "operation": "CREATE", "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller"},
                        "object": pod, "dryRun": False}}


class Injector:
    def __init__(self, tmp, vault_address, extra=(), env=None, tls=None):
        self.tls = tls or make_tls(tmp)
        self.log = open(tmp / "injector.log", "w+")
        args = [TRESOR_BIN, "injector", "-listen=127.0.0.1:0", f"-vault-address={vault_address}", *extra]
        if tls is None:
            args += [f"-tls-cert-file={self.tls[0]}", f"-tls-key-file={self.tls[1]}"]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True, env=env or dict(os.environ))
        line = self.proc.stdout.readline()
        assert "listening on" in line, line + self.output()
        self.url = "https://127.0.0.1:" + line.strip().rsplit(":", 1)[1]

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def post(self, document, content_type="application/json", verify=None):
        data = document if isinstance(document, bytes) else json.dumps(document).encode()
        return requests.post(self.url + "/mutate", data=data, headers={"Content-Type": content_type},
                             verify=verify or self.tls[2], timeout=10)

    def admit(self, pod, namespace="default"):
        reply = self.post(review(pod, namespace))
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["apiVersion"] == "admission.k8s.io/v1" and body["kind"] == "AdmissionReview"
        assert body["response"]["uid"] == "b5d2c1e0-1c0e-4f7e-9d59-3c2f7a1e2d01"
        return body["response"]

    def stop(self):
        self.proc.terminate()
        try:
            assert self.proc.wait(timeout=10) == 0
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.log.close()


@pytest.fixture(scope="module")
def injector(tmp_path_factory):
    running = Injector(tmp_path_factory.mktemp("injector"), "http://tresor.default.svc:8200")
    yield running
    running.stop()


def patched(pod, response):
    assert response["allowed"] is True, response
    assert response["patchType"] == "JSONPatch"
    ops = json.loads(base64.b64decode(response["patch"]))
    result = jsonpatch.apply_patch(copy.deepcopy(pod), ops)
    kubernetes_validate.validate(result, "1.30", strict=True)
    return result, ops


def mounts(container):
    return [(m["name"], m["mountPath"], m.get("readOnly")) for m in container["volumeMounts"]]


def agent_config(container):
    encoded = next(e["value"] for e in container["env"] if e["name"] == "VAULT_CONFIG")
    return json.loads(base64.b64decode(encoded))


def test_seed_pod_is_injected_as_vault_k8s_injects_it(injector):
    pod = seed_pod()
    result, ops = patched(pod, injector.admit(pod))
    spec = result["spec"]
    assert [c["name"] for c in spec["initContainers"]] == ["vault-agent-init"]
    assert [c["name"] for c in spec["containers"]] == ["orgchart", "vault-agent"]
    init, app, sidecar = spec["initContainers"][0], spec["containers"][0], spec["containers"][1]
    assert mounts(init) == VAULT_K8S["init_mounts"]
    assert mounts(sidecar) == VAULT_K8S["sidecar_mounts"]
    assert VAULT_K8S["app_mount"] in app["volumeMounts"]
    for container in (init, sidecar):
        assert [e["name"] for e in container["env"]] == VAULT_K8S["env"]
        assert container["resources"] == VAULT_K8S["resources"]
        assert container["securityContext"] == VAULT_K8S["security"]
        assert container["command"] == ["tresor"] and container["args"] == ["agent", "-config-env=VAULT_CONFIG"]
    volumes = {v["name"]: {k: v[k] for k in v if k != "name"} for v in spec["volumes"]}
    for name, volume in VAULT_K8S["volumes"].items():
        assert volumes[name] == volume
    assert result["metadata"]["annotations"]["vault.hashicorp.com/agent-inject-status"] == "injected"
    for container, exits in ((init, True), (sidecar, False)):
        config = agent_config(container)
        assert config["exit_after_auth"] is exits
        assert config["vault"] == {"address": "http://tresor.default.svc:8200"}
        for key, value in VAULT_K8S["agent_config"].items():
            assert config[key] == value, key
    # Only additions, plus the status annotation: nothing of the app's own spec is replaced.
    assert all(op["op"] == "add" for op in ops)


def test_pods_that_do_not_ask_are_admitted_unchanged(injector):
    for annotations in ({}, {"vault.hashicorp.com/agent-inject": "false"},
                        dict(SEED_ANNOTATIONS, **{"vault.hashicorp.com/agent-inject-status": "injected"})):
        response = injector.admit(seed_pod(annotations))
        assert response["allowed"] is True and "patch" not in response, response
    # kube-system pods that do not ask are left alone too.
    assert "patch" not in injector.admit(seed_pod({}, namespace="kube-system"), namespace="kube-system")


def test_pre_populate_only_adds_no_sidecar(injector):
    pod = seed_pod(dict(SEED_ANNOTATIONS, **{"vault.hashicorp.com/agent-pre-populate-only": "true"}))
    result, _ = patched(pod, injector.admit(pod))
    assert [c["name"] for c in result["spec"]["initContainers"]] == ["vault-agent-init"]
    assert [c["name"] for c in result["spec"]["containers"]] == ["orgchart"]
    assert "home-sidecar" not in [v["name"] for v in result["spec"]["volumes"]]


JSON_PATCHES = [
    [{"op": "add", "path": "/env/-", "value": {"name": "EXTRA", "value": "1"}},
     {"op": "replace", "path": "/resources/limits/memory", "value": "256Mi"}],
    [{"op": "remove", "path": "/securityContext/runAsUser"}, {"op": "add", "path": "/args/0", "value": "first"}],
    [{"op": "copy", "from": "/resources/limits", "path": "/resources/claims~1extra"},
     {"op": "move", "from": "/env/0", "path": "/env/-"}, {"op": "test", "path": "/name", "value": "vault-agent"}],
    [{"op": "add", "path": "/lifecycle", "value": {"preStop": {"exec": {"command": ["tresor", "version"]}}}}],
]


@pytest.mark.parametrize("patch", JSON_PATCHES)
def test_agent_json_patch_is_applied_to_the_containers_as_python_jsonpatch_applies_it(injector, patch):
    """The pod's own RFC 6902 patches of the agent containers, judged by python's jsonpatch:
    the container Tresor injects equals the unpatched one with jsonpatch's result of the patch."""
    plain, _ = patched(seed_pod(), injector.admit(seed_pod()))
    annotations = dict(SEED_ANNOTATIONS, **{"vault.hashicorp.com/agent-json-patch": json.dumps(patch),
                                            "vault.hashicorp.com/agent-init-json-patch": json.dumps(patch).replace("vault-agent", "vault-agent-init")})
    pod = seed_pod(annotations)
    response = injector.admit(pod)
    assert response["allowed"] is True, response
    ops = json.loads(base64.b64decode(response["patch"]))
    result = jsonpatch.apply_patch(copy.deepcopy(pod), ops)
    sidecar = next(c for c in plain["spec"]["containers"] if c["name"] == "vault-agent")
    init = next(c for c in plain["spec"]["initContainers"] if c["name"] == "vault-agent-init")
    init_patch = json.loads(json.dumps(patch).replace("vault-agent", "vault-agent-init"))
    assert next(c for c in result["spec"]["containers"] if c["name"] == "vault-agent") == jsonpatch.apply_patch(sidecar, patch)
    assert next(c for c in result["spec"]["initContainers"] if c["name"] == "vault-agent-init") == jsonpatch.apply_patch(init, init_patch)


def test_revoke_on_shutdown_gives_the_sidecar_a_prestop_hook_that_revokes_its_token(injector, tresor, tmp_path):
    annotations = dict(SEED_ANNOTATIONS, **{"vault.hashicorp.com/agent-revoke-on-shutdown": "true",
                                            "vault.hashicorp.com/agent-revoke-grace": "1",
                                            "vault.hashicorp.com/service": tresor.addr})
    result, _ = patched(seed_pod(annotations), injector.admit(seed_pod(annotations)))
    sidecar = next(c for c in result["spec"]["containers"] if c["name"] == "vault-agent")
    init = next(c for c in result["spec"]["initContainers"] if c["name"] == "vault-agent-init")
    command = sidecar["lifecycle"]["preStop"]["exec"]["command"]
    assert command == ["tresor", "token", "revoke", "-wait=1", f"-address={tresor.addr}", "-self"]
    assert "lifecycle" not in init
    # Run the hook as the kubelet would, with the sidecar's HOME holding the agent's token sink.
    token = tresor.client().auth.token.create(policies=["default"], ttl="1h")["auth"]["client_token"]
    home = tmp_path / "home"
    home.mkdir()
    (home / ".vault-token").write_text(token)
    started = time.monotonic()
    run = subprocess.run([TRESOR_BIN] + command[1:], env={"HOME": str(home), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    assert time.monotonic() - started >= 1
    assert tresor.http("GET", "auth/token/lookup-self", token=token).status_code == 403
    for bad in ("soon", "-1"):
        refused = injector.admit(seed_pod(dict(annotations, **{"vault.hashicorp.com/agent-revoke-grace": bad})))
        assert refused["allowed"] is False and "agent-revoke-grace" in refused["status"]["message"]


def test_client_settings_lease_threshold_and_proxy_reach_the_agent(injector):
    annotations = dict(SEED_ANNOTATIONS, **{"vault.hashicorp.com/client-timeout": "90s", "vault.hashicorp.com/client-max-retries": "3",
                                            "vault.hashicorp.com/template-lease-renewal-threshold": "0.9",
                                            "vault.hashicorp.com/proxy-address": "http://proxy.internal:3128"})
    result, _ = patched(seed_pod(annotations), injector.admit(seed_pod(annotations)))
    for container in [c for c in result["spec"]["containers"] + result["spec"]["initContainers"] if c["name"].startswith("vault-agent")]:
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["VAULT_CLIENT_TIMEOUT"] == "90s" and env["VAULT_MAX_RETRIES"] == "3"
        assert env["HTTPS_PROXY"] == "http://proxy.internal:3128"
        assert agent_config(container)["template_config"]["lease_renewal_threshold"] == 0.9
    for key, bad in (("client-timeout", "soon"), ("client-max-retries", "-1"), ("template-lease-renewal-threshold", "2"),
                     ("proxy-address", "socks5://proxy:1080")):
        refused = injector.admit(seed_pod(dict(SEED_ANNOTATIONS, **{f"vault.hashicorp.com/{key}": bad})))
        assert refused["allowed"] is False and key in refused["status"]["message"]


def test_agent_json_patch_errors_refuse_the_pod_by_name(injector):
    for value in ("not json", '{"op": "add"}', '[{"op": "explode", "path": "/x"}]', '[{"op": "remove", "path": "/nothing"}]',
                  '[{"op": "test", "path": "/name", "value": "other"}]', '[{"op": "add", "path": "/args/99", "value": "x"}]'):
        response = injector.admit(seed_pod(dict(SEED_ANNOTATIONS, **{"vault.hashicorp.com/agent-json-patch": value})))
        assert response["allowed"] is False, value
        assert "vault.hashicorp.com/agent-json-patch" in response["status"]["message"], response
        with pytest.raises(Exception):
            jsonpatch.apply_patch({"name": "vault-agent", "args": []}, json.loads(value) if value.startswith("[") else value)


def test_system_namespaces_and_bad_annotations_are_refused_by_name(injector):
    response = injector.admit(seed_pod(namespace="kube-system"), namespace="kube-system")
    assert response["allowed"] is False
    assert "cannot inject into system namespaces: kube-system" in response["status"]["message"]
    for key, value in (("vault.hashicorp.com/agent-pre-populate", "yes"), ("vault.hashicorp.com/agent-requests-mem", "a lot"),
                       ("vault.hashicorp.com/agent-inject-secrte-config", "x")):
        response = injector.admit(seed_pod(dict(SEED_ANNOTATIONS, **{key: value})))
        assert response["allowed"] is False, key
        assert key in response["status"]["message"] or key.split("/")[1] in response["status"]["message"], response


def test_hostile_bodies_get_a_4xx_and_the_injector_keeps_serving(injector):
    assert injector.post(b"{not json").status_code == 400
    assert injector.post(b"").status_code == 400
    assert injector.post({"apiVersion": "v1", "kind": "Pod", "metadata": {}}).status_code == 400
    assert injector.post(review(seed_pod()), content_type="text/plain").status_code == 415
    secret = review({"apiVersion": "v1", "kind": "Secret", "data": {}})
    secret["request"]["kind"]["kind"] = "Secret"
    assert injector.post(secret).status_code == 400
    assert injector.post(b"[" * 100_000 + b"]" * 100_000).status_code == 400
    huge = b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","pad":"' + b"x" * (5 * 1024 * 1024) + b'"}'
    assert injector.post(huge).status_code == 413
    ready = requests.get(injector.url + "/health/ready", verify=injector.tls[2], timeout=5)
    assert ready.status_code == 204
    assert injector.admit(seed_pod())["allowed"] is True


# -- the pod, simulated ---------------------------------------------------------------------

def can_make_mount_namespaces():
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0


POD_PATHS = ["/vault/secrets", "/home/vault", SA_MOUNT]


def run_in_pod(container, binds, pod_ip="127.0.0.1", wait=True, log=None):
    """Runs a patched container's command with its env as the kubelet would resolve it, with
    `binds` (pod path -> host temp dir) mounted in a private mount namespace."""
    env = {"PATH": os.environ.get("PATH", "")}
    fields = {"metadata.namespace": "default", "status.hostIP": "127.0.0.1", "status.podIP": pod_ip}
    for item in container["env"]:
        env[item["name"]] = item["value"] if "value" in item else fields[item["valueFrom"]["fieldRef"]["fieldPath"]]
    command = container["command"] + container.get("args", [])
    assert command[0] == "tresor"
    argv = [TRESOR_BIN] + command[1:]
    script = "set -e; " + "; ".join(f'mount --bind "{source}" "{target}"' for target, source in binds.items()) + '; exec "$@"'
    full = ["unshare", "-m", "sh", "-c", script, "sh", *argv]
    if wait:
        return subprocess.run(full, env=env, capture_output=True, text=True, timeout=60)
    return subprocess.Popen(full, env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture
def pod_mount_points():
    created = [p for p in POD_PATHS if not os.path.exists(p)]
    for path in POD_PATHS:
        os.makedirs(path, exist_ok=True)
    yield
    for path in reversed(created):
        try:
            os.removedirs(path)
        except OSError:
            pass


needs_namespaces = pytest.mark.skipif(not can_make_mount_namespaces(), reason="needs root and unshare to stand temp dirs in for the pod's paths")


def configure_seed(server, double):
    """The seed's Vault set-up, command for command: KV v2 at internal/, the secret, the policy,
    Kubernetes auth against the API server (here the TokenReview double) and the role."""
    def ok(out):
        assert out.returncode == 0, out.stderr
    ok(server.bao("secrets", "enable", "-path=internal", "kv-v2"))
    ok(server.bao("kv", "put", "internal/database/config", "username=db-readonly-username", "password=db-secret-password"))
    ok(server.bao("auth", "enable", "kubernetes"))
    ca = os.path.join(server.home, "injector-k8s-ca.pem")
    with open(ca, "w") as f:
        f.write(double.ca_pem)
    ok(server.bao("write", "auth/kubernetes/config", f"kubernetes_host={double.url}", f"kubernetes_ca_cert=@{ca}",
                  f"token_reviewer_jwt={double.token('default', 'vault-auth', lifetime=86400)}"))
    ok(server.bao("policy", "write", "internal-app", "-",
                  stdin='path "internal/data/database/config" {\n  capabilities = ["read"]\n}\n'))
    ok(server.bao("write", "auth/kubernetes/role/internal-app", "bound_service_account_names=internal-app",
                  "bound_service_account_namespaces=default", "policies=internal-app", "ttl=24h"))


@needs_namespaces
def test_the_patched_pod_renders_the_seed_secret(tresor, tmp_path, pod_mount_points):
    double = KubernetesDouble(make_tls(tmp_path))
    running = Injector(tmp_path, tresor.addr)
    try:
        double.create_account("default", "vault-auth")
        double.create_account("default", "internal-app")
        configure_seed(tresor, double)
        pod = seed_pod()
        result, _ = patched(pod, running.admit(pod))
        # The kubelet's side: the projected token, and the pod's in-memory volumes.
        account = tmp_path / "serviceaccount"
        account.mkdir()
        (account / "token").write_text(double.token("default", "internal-app"))
        secrets, home_init, home_sidecar = tmp_path / "vault-secrets", tmp_path / "home-init", tmp_path / "home-sidecar"
        for directory in (secrets, home_init, home_sidecar):
            directory.mkdir()
        init = result["spec"]["initContainers"][0]
        done = run_in_pod(init, {"/vault/secrets": secrets, "/home/vault": home_init, SA_MOUNT: account})
        assert done.returncode == 0, done.stdout + done.stderr
        assert (secrets / "config").read_bytes() == RENDERED.encode()
        assert (home_init / ".vault-token").exists()

        # The sidecar keeps the file current: a new version of the secret reaches it.
        (secrets / "config").unlink()
        sidecar = next(c for c in result["spec"]["containers"] if c["name"] == "vault-agent")
        log = open(tmp_path / "sidecar.log", "w+")
        proc = run_in_pod(sidecar, {"/vault/secrets": secrets, "/home/vault": home_sidecar, SA_MOUNT: account}, wait=False, log=log)
        try:
            deadline = time.time() + 30
            while time.time() < deadline and not (secrets / "config").exists():
                assert proc.poll() is None, open(tmp_path / "sidecar.log").read()
                time.sleep(0.2)
            assert (secrets / "config").read_bytes() == RENDERED.encode()
            token = (home_sidecar / ".vault-token").read_text()
            looked = tresor.http("GET", "auth/token/lookup-self", token=token).json()["data"]
            assert looked["meta"]["service_account_name"] == "internal-app"
            assert "internal-app" in looked["policies"]
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=15) == 0, open(tmp_path / "sidecar.log").read()
    finally:
        running.stop()
        double.stop()


class WebhookConfigurationDouble:
    """The API server's mutatingwebhookconfigurations endpoint: GET and JSON-patch PATCH of
    one object, behind HTTPS and a bearer token, as the injector's service account reaches it."""

    def __init__(self, tls, name, token):
        self.name, self.token, self.patches = name, token, []
        self.object = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
                       "metadata": {"name": name},
                       "webhooks": [{"name": "vault.hashicorp.com", "admissionReviewVersions": ["v1", "v1beta1"], "sideEffects": "None",
                                     "clientConfig": {"service": {"name": "tresor-agent-injector-svc", "namespace": "tresor", "path": "/mutate"}}}]}
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def check(self):
                path = f"/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/{double.name}"
                if self.headers.get("Authorization") != f"Bearer {double.token}":
                    self.reply(401, {"kind": "Status", "code": 401, "reason": "Unauthorized"})
                    return False
                if self.path != path:
                    self.reply(404, {"kind": "Status", "code": 404, "reason": "NotFound"})
                    return False
                return True

            def do_GET(self):
                if self.check():
                    self.reply(200, double.object)

            def do_PATCH(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if not self.check():
                    return
                if self.headers.get("Content-Type") != "application/json-patch+json":
                    return self.reply(415, {"kind": "Status", "code": 415})
                ops = json.loads(body)
                double.patches.append(ops)
                double.object = jsonpatch.apply_patch(double.object, ops)
                self.reply(200, double.object)

            def reply(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls[0], tls[1])
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ca_bundle(self):
        encoded = self.object["webhooks"][0]["clientConfig"].get("caBundle")
        return base64.b64decode(encoded).decode() if encoded else None


@needs_namespaces
def test_tls_auto_keeps_the_webhook_ca_bundle_current(tmp_path, pod_mount_points):
    api_tls = make_tls(tmp_path)
    api = WebhookConfigurationDouble(api_tls, "tresor-agent-injector-cfg", "injector-sa-token")
    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "token").write_text("injector-sa-token")
    shutil.copy(api_tls[2], account / "ca.crt")
    env = {"PATH": os.environ.get("PATH", ""), "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(api.port),
           "AGENT_INJECT_TLS_AUTO": "tresor-agent-injector-cfg", "AGENT_INJECT_TLS_AUTO_HOSTS": "127.0.0.1,localhost"}
    log = open(tmp_path / "injector.log", "w+")
    proc = subprocess.Popen(["unshare", "-m", "sh", "-c", f'mount --bind "{account}" "{SA_MOUNT}"; exec "$@"', "sh",
                             TRESOR_BIN, "injector", "-listen=127.0.0.1:0", "-vault-address=http://tresor:8200"],
                            env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        line = proc.stdout.readline()
        assert "listening on" in line, line
        url = "https://127.0.0.1:" + line.strip().rsplit(":", 1)[1]
        deadline = time.time() + 20
        while time.time() < deadline and api.ca_bundle() is None:
            time.sleep(0.2)
        bundle = api.ca_bundle()
        assert bundle and "BEGIN CERTIFICATE" in bundle, open(tmp_path / "injector.log").read()
        (tmp_path / "bundle.pem").write_text(bundle)
        # The API server's view: the serving certificate verifies against the published CA.
        assert requests.get(url + "/health/ready", verify=str(tmp_path / "bundle.pem"), timeout=5).status_code == 204
        reply = requests.post(url + "/mutate", data=json.dumps(review(seed_pod())), headers={"Content-Type": "application/json"},
                              verify=str(tmp_path / "bundle.pem"), timeout=5)
        assert reply.json()["response"]["allowed"] is True
        openssl = subprocess.run(["openssl", "x509", "-noout", "-text"], input=bundle, capture_output=True, text=True)
        assert "CA:TRUE" in openssl.stdout and "ecdsa-with-SHA256" in openssl.stdout
        # A `helm upgrade` resets the bundle: the injector puts it back.
        api.object["webhooks"][0]["clientConfig"].pop("caBundle")
        deadline = time.time() + 30
        while time.time() < deadline and api.ca_bundle() is None:
            time.sleep(0.5)
        assert api.ca_bundle() == bundle
        assert all(op["path"] == "/webhooks/0/clientConfig/caBundle" for ops in api.patches for op in ops)
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0, open(tmp_path / "injector.log").read()
        api.server.shutdown()

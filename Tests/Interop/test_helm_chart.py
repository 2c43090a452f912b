"""The Helm chart at deploy/helm/tresor, rendered and linted by Helm's own engine.

helm-python-sdk bundles Helm's Go library (no helm binary, no cluster, no network): the chart is
rendered exactly as `helm install` would render it, every manifest is checked against the
Kubernetes 1.30 schema in strict mode (unknown fields fail) with kubernetes-validate, and the
server config the chart writes is parsed as HCL and checked against the keys Tresor accepts,
read from ConfigKeys.swift in Sources (the server refuses any other key at start).

Needs no tresor binary and starts nothing.
"""
import json
import re
from pathlib import Path

import hcl
import helm_python as helm
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "tresor"
# Wherever the server's module lives (it has moved between targets).
CONFIG_KEYS = next(iter(sorted(ROOT.glob("Sources/*/Config/ConfigKeys.swift"))), None)
KUBE = "1.30"
RELEASE, NAMESPACE = "vault", "vault"

# The first seed's command, changing only the chart's name.
SEED = ["server.ha.enabled=true", "server.ha.replicas=3", "server.ha.raft.enabled=true", "injector.enabled=true"]
READINESS = "/v1/sys/health?standbyok=true&sealedcode=204&uninitcode=204"

SCENARIOS = {
    "seed": SEED,
    "dev": ["server.dev.enabled=true"],
    "defaults": [],
    "postgresql": ["server.ha.enabled=true", "server.ha.postgresql.connectionURL=postgres://tresor:pw@db:5432/tresor?sslmode=require"],
    "postgresql-secret": ["server.ha.enabled=true", "server.ha.postgresql.connectionURLSecret.name=tresor-pg"],
    "tls": ["global.tlsDisable=false", "server.tls.secretName=tresor-tls", "server.tls.caName=ca.crt"],
    "seed-tls": SEED + ["global.tlsDisable=false", "server.tls.secretName=tresor-tls"],
    "external": ["global.externalVaultAddr=https://tresor.example.com:8200"],
    "openshift": SEED + ["global.openshift=true", "server.serviceAccount.createSecret=true"],
    "injector-own-certs": ["injector.certs.secretName=injector-tls", "injector.certs.caBundle=Zm9v", "injector.replicas=2",
                           "injector.podDisruptionBudget.maxUnavailable=1", "server.auditStorage.enabled=true"],
    # `--set server.affinity=""` in a shell: Helm gets an empty string, which (as in vault-helm)
    # means no affinity, e.g. for a single-node kind or minikube cluster.
    "seed-no-affinity": SEED + ["server.affinity=", "injector.affinity=", "server.ha.raft.etcd.affinity="],
}

# Each affinity value and the pods it places, in the seed.
AFFINITIES = {
    "server.affinity": ("StatefulSet", "vault"),
    "injector.affinity": ("Deployment", "vault-agent-injector"),
    "server.ha.raft.etcd.affinity": ("StatefulSet", "vault-etcd"),
}


def values(sets):
    # Several --set flags are one comma-joined --set expression to Helm.
    return helm.parse_set_string(",".join(sets)) if sets else {}


def render_files(vals):
    with helm.Chart.load(str(CHART)) as chart:
        return chart.render(vals, name=RELEASE, namespace=NAMESPACE)


class Rendered:
    """One render: the manifests by (kind, name), NOTES.txt, and the server config."""

    def __init__(self, sets):
        self.files = render_files(values(sets))
        self.notes = next(text for path, text in self.files.items() if path.endswith("NOTES.txt"))
        self.objects = []
        for path, text in sorted(self.files.items()):
            if path.endswith("NOTES.txt") or not text.strip():
                continue
            self.objects += [doc for doc in yaml.safe_load_all(text) if doc]

    def get(self, kind, name):
        found = [o for o in self.objects if o["kind"] == kind and o["metadata"]["name"] == name]
        assert len(found) == 1, f"{kind}/{name}: {len(found)} rendered; have {self.names()}"
        return found[0]

    def kinds(self, kind):
        return [o for o in self.objects if o["kind"] == kind]

    def names(self):
        return sorted((o["kind"], o["metadata"]["name"]) for o in self.objects)

    def server(self):
        return self.get("StatefulSet", "vault")

    def container(self, obj=None):
        return (obj or self.server())["spec"]["template"]["spec"]["containers"][0]

    def env(self, obj=None):
        return {e["name"]: e.get("value", e.get("valueFrom")) for e in self.container(obj)["env"]}

    def config_text(self, key="extraconfig-from-values.hcl"):
        return self.get("ConfigMap", "vault-config")["data"][key]

    def config(self, key="extraconfig-from-values.hcl"):
        return hcl.loads(self.config_text(key))


_renders = {}


def rendered(name):
    if name not in _renders:
        _renders[name] = Rendered(SCENARIOS[name])
    return _renders[name]


def accepted_keys():
    """The keys Tresor's config loader accepts, from its source."""
    assert CONFIG_KEYS, "Sources/*/Config/ConfigKeys.swift not found"
    source = CONFIG_KEYS.read_text()

    def block(name):
        match = re.search(rf"static let {name}: [^=]+= \[(.*?)\n    \]", source, re.S)
        assert match, f"ConfigKeys.{name} not found"
        return match.group(1)

    top = set(re.findall(r'"([a-z_]+)"', block("topLevel")))
    listener = set(re.findall(r'"([a-z_]+)"', block("listener")))
    storage = {kind: set(re.findall(r'"([a-z_]+)"', opts))
               for kind, opts in re.findall(r'"([a-z]+)": \[([^\]]*)\]', block("storage"))}
    return top, listener, storage


def assert_tresor_accepts(config):
    top, listener, storage = accepted_keys()
    assert set(config) <= top, f"keys Tresor refuses: {set(config) - top}"
    for body in config["listener"].values():
        assert set(body) <= listener, f"listener keys Tresor refuses: {set(body) - listener}"
    (kind, options), = config["storage"].items()
    assert set(options) <= storage[kind], f"storage {kind} keys Tresor refuses: {set(options) - storage[kind]}"
    assert config["disable_mlock"] is True  # pods lack IPC_LOCK


def kubelet_env(container, pod_name, namespace=NAMESPACE):
    """The container's environment as kubelet gives it to a pod named pod_name: fieldRefs
    resolved, and $(VAR) in a value expanded from the entries before it (an unknown or later
    name stays as written, `$$` is a literal `$`), as Kubernetes documents for env."""
    fields = {"metadata.name": pod_name, "metadata.namespace": namespace,
              "status.podIP": "10.0.0.7", "status.hostIP": "10.0.1.1"}
    env = {}
    for entry in container["env"]:
        if "value" in entry:
            env[entry["name"]] = re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                                        lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)),
                                        entry["value"])
        elif "fieldRef" in entry.get("valueFrom", {}):
            env[entry["name"]] = fields[entry["valueFrom"]["fieldRef"]["fieldPath"]]
        else:
            env[entry["name"]] = entry["valueFrom"]  # from a Secret or ConfigMap: not known here
    return env


def pod_labels(obj):
    return obj["spec"]["template"]["metadata"]["labels"]


def selects(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


# --- every scenario: valid Kubernetes 1.30 objects, and Helm's lint ---------------------------

@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_manifest_validates_against_kubernetes_1_30_strict(scenario):
    r = rendered(scenario)
    assert r.objects
    for obj in r.objects:
        kubernetes_validate.validate(obj, KUBE, strict=True)
        assert obj["metadata"]["labels"]["app.kubernetes.io/instance"] == RELEASE
        assert obj["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"
        assert obj["metadata"]["labels"]["helm.sh/chart"] == "tresor-0.1.0"
        assert obj["metadata"]["labels"]["app.kubernetes.io/name"] in ("tresor", "tresor-agent-injector")
        # The image has no shell: nothing may rely on one.
        if obj["kind"] in ("StatefulSet", "Deployment"):
            for c in obj["spec"]["template"]["spec"]["containers"]:
                assert "/bin/sh" not in yaml.safe_dump(c), c["name"]
                for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                    assert "exec" not in c.get(probe, {}), (c["name"], probe)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_helm_lint_strict_passes(scenario):
    report = helm.lint(str(CHART), values(SCENARIOS[scenario]), strict=True, kube_version="v1.30.0", namespace=NAMESPACE)
    problems = [m for m in report["messages"] if m["severity"] >= 2] + report["errors"]
    assert not problems, problems


# --- the seed: HA on a chart-run etcd, the injector, RBAC ----------------------------------

def test_seed_renders_the_objects_vault_helm_names():
    r = rendered("seed")
    # vault-helm 0.30.1's seed objects, by the same names, except what serves Vault's own
    # service_registration (pod-label Services and the Role that writes the labels) and its test pod.
    assert r.names() == sorted([
        ("ClusterRole", "vault-agent-injector-clusterrole"),
        ("ClusterRoleBinding", "vault-agent-injector-binding"),
        ("ClusterRoleBinding", "vault-server-binding"),
        ("ConfigMap", "vault-config"),
        ("Deployment", "vault-agent-injector"),
        ("MutatingWebhookConfiguration", "vault-agent-injector-cfg"),
        ("PodDisruptionBudget", "vault"),
        ("PodDisruptionBudget", "vault-etcd"),
        ("Service", "vault"),
        ("Service", "vault-agent-injector-svc"),
        ("Service", "vault-etcd"),
        ("Service", "vault-internal"),
        ("ServiceAccount", "vault"),
        ("ServiceAccount", "vault-agent-injector"),
        ("StatefulSet", "vault"),
        ("StatefulSet", "vault-etcd"),
    ])


def test_seed_three_replicas_share_the_chart_run_etcd():
    r = rendered("seed")
    sts = r.server()
    assert sts["spec"]["replicas"] == 3
    assert sts["spec"]["serviceName"] == "vault-internal"
    c = r.container()
    assert c["image"] == "ghcr.io/tresor-project/tresor:0.1.0"
    # One config file for every pod; nothing in the arguments depends on the pod.
    assert c["args"] == ["server", "-config=/vault/config/extraconfig-from-values.hcl"]
    volumes = {v["name"]: v for v in sts["spec"]["template"]["spec"]["volumes"]}
    assert volumes["config"]["configMap"]["name"] == "vault-config"
    # No replica has storage of its own: no data volume, no PVC.
    assert "data" not in volumes and "volumeClaimTemplates" not in sts["spec"]

    config = r.config()
    assert_tresor_accepts(config)
    assert list(config["storage"]) == ["etcd"]
    etcd = config["storage"]["etcd"]
    members = [f"http://vault-etcd-{i}.vault-etcd.vault.svc:2379" for i in range(3)]
    assert etcd["address"].split(",") == members
    assert etcd["etcd_api"] == "v3" and etcd["ha_enabled"] == "true" and etcd["path"] == "tresor/"
    assert config["listener"]["tcp"]["cluster_address"] == "0.0.0.0:8201"

    # The addresses are not in the shared file: they come from each pod's environment.
    assert "api_addr" not in config and "cluster_addr" not in config
    assert list(r.get("ConfigMap", "vault-config")["data"]) == ["extraconfig-from-values.hcl"]


def test_seed_each_pod_advertises_its_own_address_through_the_environment():
    r = rendered("seed")
    c = r.container()
    env = r.env()
    # Vault's variables, which Tresor reads over api_addr/cluster_addr; kubelet fills in $(HOSTNAME).
    assert env["HOSTNAME"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert env["VAULT_API_ADDR"] == "http://$(HOSTNAME).vault-internal.vault.svc:8200"
    assert env["VAULT_CLUSTER_ADDR"] == "https://$(HOSTNAME).vault-internal.vault.svc:8201"
    # $(VAR) expands only from entries listed before it.
    names = [e["name"] for e in c["env"]]
    assert names.index("HOSTNAME") < names.index("VAULT_API_ADDR") < names.index("VAULT_CLUSTER_ADDR")
    for i in range(3):
        pod = kubelet_env(c, f"vault-{i}")
        assert pod["VAULT_API_ADDR"] == f"http://vault-{i}.vault-internal.vault.svc:8200"
        assert pod["VAULT_CLUSTER_ADDR"] == f"https://vault-{i}.vault-internal.vault.svc:8201"
    # The headless Service those names resolve through, with both ports.
    internal = r.get("Service", "vault-internal")
    assert internal["metadata"]["name"] == r.server()["spec"]["serviceName"]
    assert {p["port"] for p in internal["spec"]["ports"]} == {8200, 8201}
    # A pod that `kubectl scale` adds gets its address the same way: nothing is per replica.
    assert kubelet_env(c, "vault-7")["VAULT_API_ADDR"] == "http://vault-7.vault-internal.vault.svc:8200"
    five = Rendered(SEED + ["server.ha.replicas=5"])
    assert five.server()["spec"]["replicas"] == 5
    assert five.get("ConfigMap", "vault-config")["data"] == r.get("ConfigMap", "vault-config")["data"]
    assert five.container()["args"] == c["args"] and five.container()["env"] == c["env"]


def test_ha_addresses_follow_tls_and_the_apiaddr_values():
    env = rendered("seed-tls").env()
    assert env["VAULT_API_ADDR"] == "https://$(HOSTNAME).vault-internal.vault.svc:8200"
    assert env["VAULT_CLUSTER_ADDR"] == "https://$(HOSTNAME).vault-internal.vault.svc:8201"
    assert rendered("seed-tls").container()["args"] == ["server", "-config=/vault/config/extraconfig-from-values.hcl"]
    # vault-helm's server.ha.apiAddr / clusterAddr replace the defaults, $(HOSTNAME) included.
    r = Rendered(SEED + ["server.ha.apiAddr=https://$(HOSTNAME).tresor.example.com:8200",
                         "server.ha.clusterAddr=https://$(POD_IP):8201"])
    pod = kubelet_env(r.container(), "vault-1")
    assert pod["VAULT_API_ADDR"] == "https://vault-1.tresor.example.com:8200"
    assert pod["VAULT_CLUSTER_ADDR"] == "https://10.0.0.7:8201"
    assert list(r.get("ConfigMap", "vault-config")["data"]) == ["extraconfig-from-values.hcl"]


@pytest.mark.parametrize("scenario", ["dev", "defaults", "tls"])
def test_single_pod_modes_set_no_addresses(scenario):
    env = rendered(scenario).env()
    assert "VAULT_API_ADDR" not in env and "VAULT_CLUSTER_ADDR" not in env


def test_seed_etcd_is_a_three_member_cluster_at_those_addresses():
    r = rendered("seed")
    sts = r.get("StatefulSet", "vault-etcd")
    assert sts["spec"]["replicas"] == 3 and sts["spec"]["podManagementPolicy"] == "Parallel"
    env = r.env(sts)
    assert env["ETCD_NAME"] == "$(POD_NAME)"
    peers = dict(m.split("=", 1) for m in env["ETCD_INITIAL_CLUSTER"].split(","))
    assert peers == {f"vault-etcd-{i}": f"http://vault-etcd-{i}.vault-etcd.vault.svc:2380" for i in range(3)}
    assert env["ETCD_ADVERTISE_CLIENT_URLS"] == "http://$(POD_NAME).vault-etcd.vault.svc:2379"
    assert env["ETCD_MAX_TXN_OPS"] == "10000"
    # The Tresor config's members are exactly these pods' client URLs.
    tresor_members = r.config()["storage"]["etcd"]["address"].split(",")
    assert tresor_members == [f"http://{name}.vault-etcd.vault.svc:2379" for name in sorted(peers)]
    svc = r.get("Service", "vault-etcd")
    assert svc["spec"]["clusterIP"] == "None" and svc["spec"]["publishNotReadyAddresses"] is True
    assert selects(svc["spec"]["selector"], pod_labels(sts))
    (pvc,) = sts["spec"]["volumeClaimTemplates"]
    assert pvc["spec"]["resources"]["requests"]["storage"] == "10Gi"
    assert r.container(sts)["volumeMounts"] == [{"name": pvc["metadata"]["name"], "mountPath": "/var/run/etcd"}]
    assert r.get("PodDisruptionBudget", "vault-etcd")["spec"]["maxUnavailable"] == 1


def test_seed_probes_affinity_and_disruption_budget():
    r = rendered("seed")
    c = r.container()
    assert c["readinessProbe"]["httpGet"] == {"path": READINESS, "port": 8200, "scheme": "HTTP"}
    assert c["livenessProbe"]["httpGet"]["path"].startswith("/v1/sys/health")
    assert c["livenessProbe"]["initialDelaySeconds"] >= 30
    pod = r.server()["spec"]["template"]
    (term,) = pod["spec"]["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    assert selects(term["labelSelector"]["matchLabels"], pod["metadata"]["labels"])
    pdb = r.get("PodDisruptionBudget", "vault")
    assert pdb["spec"]["maxUnavailable"] == 1  # a majority of 3 stays up
    assert selects(pdb["spec"]["selector"]["matchLabels"], pod["metadata"]["labels"])
    for name in ("vault", "vault-internal"):
        svc = r.get("Service", name)
        assert selects(svc["spec"]["selector"], pod["metadata"]["labels"])
        assert {p["port"] for p in svc["spec"]["ports"]} == {8200, 8201}
    assert r.get("Service", "vault-internal")["spec"]["clusterIP"] == "None"


def assert_one_pod_per_node(obj, others):
    """Required anti-affinity against the object's own pods only, one per node."""
    pod = obj["spec"]["template"]
    (term,) = pod["spec"]["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    selector = term["labelSelector"]["matchLabels"]
    assert selects(selector, pod["metadata"]["labels"])
    assert selector == obj["spec"]["selector"]["matchLabels"]
    for other in others:
        assert not selects(selector, pod_labels(other)), other["metadata"]["name"]


def test_affinity_defaults_are_required_anti_affinity_as_in_vault_helm():
    r = rendered("seed")
    placed = [r.get(kind, name) for kind, name in AFFINITIES.values()]
    for obj in placed:
        assert_one_pod_per_node(obj, [o for o in placed if o is not obj])
    # The defaults are vault-helm's kind of value: template strings, rendered through tpl.
    chart_values = yaml.safe_load((CHART / "values.yaml").read_text())
    for key in AFFINITIES:
        default = chart_values
        for part in key.split("."):
            default = default[part]
        assert isinstance(default, str) and "{{" in default and "podAntiAffinity" in default, key


def test_empty_affinity_values_render_no_affinity():
    r = rendered("seed-no-affinity")
    for kind, name in AFFINITIES.values():
        assert "affinity" not in r.get(kind, name)["spec"]["template"]["spec"], name


@pytest.mark.parametrize("key", AFFINITIES)
def test_emptying_one_affinity_leaves_the_others(key):
    r = Rendered(SEED + [f"{key}="])
    for other, (kind, name) in AFFINITIES.items():
        spec = r.get(kind, name)["spec"]["template"]["spec"]
        if other == key:
            assert "affinity" not in spec, name
        else:
            assert spec["affinity"]["podAntiAffinity"], name


@pytest.mark.parametrize("empty", ['""', "null", "{}", "'{}'"])
def test_a_single_node_values_file_renders_no_affinity(empty):
    # The shape minikube and kind guides use with vault-helm.
    text = f"""
server:
  affinity: {empty}
  ha:
    enabled: true
    replicas: 3
    raft:
      enabled: true
      etcd:
        affinity: {empty}
injector:
  enabled: true
  affinity: {empty}
"""
    vals = helm.values_from_yaml(text)
    files = render_files(vals)
    objects = [d for p, t in files.items() if not p.endswith("NOTES.txt") for d in yaml.safe_load_all(t) if d]
    for obj in objects:
        kubernetes_validate.validate(obj, KUBE, strict=True)
    placed = [o for o in objects if o["kind"] in ("StatefulSet", "Deployment")]
    assert sorted(o["metadata"]["name"] for o in placed) == ["vault", "vault-agent-injector", "vault-etcd"]
    for obj in placed:
        assert "affinity" not in obj["spec"]["template"]["spec"], obj["metadata"]["name"]
    report = helm.lint(str(CHART), vals, strict=True, kube_version="v1.30.0", namespace=NAMESPACE)
    assert not [m for m in report["messages"] if m["severity"] >= 2] + report["errors"]


def test_affinity_maps_and_template_strings_are_rendered_as_given():
    zone = {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 100, "podAffinityTerm": {"topologyKey": "topology.kubernetes.io/zone",
                                            "labelSelector": {"matchLabels": {"component": "server"}}}}]}
    vals = values(SEED)
    vals["server"]["affinity"] = {"podAntiAffinity": zone}
    vals["server"]["ha"]["raft"]["etcd"] = {"affinity": {"podAntiAffinity": zone}}
    # A string goes through tpl, so it may use the release's names.
    vals["injector"]["affinity"] = ("nodeAffinity:\n  requiredDuringSchedulingIgnoredDuringExecution:\n"
                                    "    nodeSelectorTerms:\n      - matchExpressions:\n"
                                    "          - {key: pool, operator: In, values: [\"{{ .Release.Name }}-pool\"]}\n")
    files = render_files(vals)
    objects = [d for p, t in files.items() if not p.endswith("NOTES.txt") for d in yaml.safe_load_all(t) if d]
    for obj in objects:
        kubernetes_validate.validate(obj, KUBE, strict=True)
    spec = {o["metadata"]["name"]: o["spec"]["template"]["spec"] for o in objects if o["kind"] in ("StatefulSet", "Deployment")}
    assert spec["vault"]["affinity"] == {"podAntiAffinity": zone}
    assert spec["vault-etcd"]["affinity"] == {"podAntiAffinity": zone}
    (term,) = spec["vault-agent-injector"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert term["matchExpressions"] == [{"key": "pool", "operator": "In", "values": ["vault-pool"]}]


def test_seed_auth_delegator_binding():
    crb = rendered("seed").get("ClusterRoleBinding", "vault-server-binding")
    assert crb["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:auth-delegator"}
    assert crb["subjects"] == [{"kind": "ServiceAccount", "name": "vault", "namespace": "vault"}]
    assert rendered("seed").server()["spec"]["template"]["spec"]["serviceAccountName"] == "vault"


def test_seed_injector_webhook_service_and_rbac():
    r = rendered("seed")
    cfg = r.get("MutatingWebhookConfiguration", "vault-agent-injector-cfg")
    (hook,) = cfg["webhooks"]
    assert hook["clientConfig"]["service"] == {"name": "vault-agent-injector-svc", "namespace": "vault", "path": "/mutate"}
    assert hook["sideEffects"] == "None" and hook["failurePolicy"] == "Ignore"
    assert hook["admissionReviewVersions"] == ["v1", "v1beta1"]
    assert hook["rules"] == [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"], "scope": "Namespaced"}]
    dep = r.get("Deployment", "vault-agent-injector")
    # The injector never waits on itself.
    (expr,) = hook["objectSelector"]["matchExpressions"]
    assert expr["operator"] == "NotIn" and pod_labels(dep)[expr["key"]] in expr["values"]

    svc = r.get("Service", "vault-agent-injector-svc")
    assert svc["spec"]["ports"] == [{"name": "https", "port": 443, "targetPort": 8080}]
    assert selects(svc["spec"]["selector"], pod_labels(dep))

    role = r.get("ClusterRole", "vault-agent-injector-clusterrole")
    assert role["rules"] == [{"apiGroups": ["admissionregistration.k8s.io"], "resources": ["mutatingwebhookconfigurations"],
                              "verbs": ["get", "list", "watch", "patch"]}]
    binding = r.get("ClusterRoleBinding", "vault-agent-injector-binding")
    assert binding["roleRef"]["name"] == "vault-agent-injector-clusterrole"
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "vault-agent-injector", "namespace": "vault"}]
    assert dep["spec"]["template"]["spec"]["serviceAccountName"] == "vault-agent-injector"

    c = r.container(dep)
    assert c["image"] == "ghcr.io/tresor-project/tresor:0.1.0" and c["args"] == ["injector"]
    env = r.env(dep)
    assert env["AGENT_INJECT_LISTEN"] == ":8080"
    assert env["AGENT_INJECT_VAULT_ADDR"] == "http://vault.vault.svc:8200"
    assert env["AGENT_INJECT_VAULT_AUTH_PATH"] == "auth/kubernetes"
    assert env["AGENT_INJECT_VAULT_IMAGE"] == "ghcr.io/tresor-project/tresor:0.1.0"
    assert env["AGENT_INJECT_TLS_AUTO"] == "vault-agent-injector-cfg"
    assert env["AGENT_INJECT_TLS_AUTO_HOSTS"].split(",") == [
        "vault-agent-injector-svc", "vault-agent-injector-svc.vault", "vault-agent-injector-svc.vault.svc"]
    assert "AGENT_INJECT_TLS_CERT_FILE" not in env
    for probe in ("readinessProbe", "livenessProbe"):
        assert c[probe]["httpGet"] == {"path": "/health/ready", "port": 8080, "scheme": "HTTPS"}


def test_seed_notes_say_how_to_init_and_unseal():
    notes = rendered("seed").notes
    assert "kubectl exec -n vault -ti vault-0 -- tresor operator init" in notes
    for i in range(3):
        # The key is an argument: `tresor operator unseal` does not prompt for one.
        assert f"kubectl exec -n vault vault-{i} -- tresor operator unseal <key>" in notes
    assert "kubectl scale" not in notes


def test_no_render_refers_to_per_pod_config_files():
    for name in SCENARIOS:
        r = rendered(name)
        for cm in r.kinds("ConfigMap"):
            assert not [key for key in cm["data"] if key.startswith("node-")], name
        for obj in r.kinds("StatefulSet"):
            assert "node-" not in " ".join(r.container(obj).get("args", [])), name


# --- dev, defaults (standalone), PostgreSQL, TLS, external --------------------------------

def test_dev_mode_one_in_memory_pod():
    r = rendered("dev")
    sts = r.server()
    assert sts["spec"]["replicas"] == 1
    c = r.container()
    assert c["args"] == ["server", "-dev"]
    env = r.env()
    assert env["VAULT_DEV_ROOT_TOKEN_ID"] == "root" and env["VAULT_DEV_LISTEN_ADDRESS"] == "0.0.0.0:8200"
    assert c["readinessProbe"]["httpGet"]["path"] == READINESS
    assert "volumeClaimTemplates" not in sts["spec"]
    assert not r.kinds("ConfigMap") and not r.kinds("PodDisruptionBudget")
    assert [s["metadata"]["name"] for s in r.kinds("StatefulSet")] == ["vault"]
    # As in vault-helm, server.affinity (like tolerations and nodeSelector) is not used in dev
    # mode; the injector keeps its default.
    assert "affinity" not in sts["spec"]["template"]["spec"]
    assert r.get("Deployment", "vault-agent-injector")["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
    assert "Root token: root" in r.notes


def test_defaults_standalone_sqlite_on_a_pvc():
    r = rendered("defaults")
    sts = r.server()
    assert sts["spec"]["replicas"] == 1
    config = r.config()
    assert_tresor_accepts(config)
    assert config["storage"] == {"sqlite": {"path": "/vault/data/tresor.db"}}
    assert config["listener"]["tcp"] == {"address": "0.0.0.0:8200", "tls_disable": True}
    (pvc,) = sts["spec"]["volumeClaimTemplates"]
    assert pvc["metadata"]["name"] == "data"
    assert pvc["spec"] == {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}
    assert {"name": "data", "mountPath": "/vault/data"} in r.container()["volumeMounts"]
    assert r.container()["args"] == ["server", "-config=/vault/config/extraconfig-from-values.hcl"]
    assert not r.kinds("PodDisruptionBudget")
    assert "vault-etcd" not in [s["metadata"]["name"] for s in r.kinds("StatefulSet")]
    assert r.get("Deployment", "vault-agent-injector")  # injector on by default, as vault-helm
    assert "tresor operator init" in r.notes and "tresor operator unseal" in r.notes


def test_postgresql_ha():
    r = rendered("postgresql")
    assert r.server()["spec"]["replicas"] == 3
    config = r.config()
    assert_tresor_accepts(config)
    assert config["storage"] == {"postgresql": {
        "connection_url": "postgres://tresor:pw@db:5432/tresor?sslmode=require", "ha_enabled": "true",
        "table": "tresor_kv", "ha_table": "vault_ha_locks"}}
    assert not [s for s in r.kinds("StatefulSet") if s["metadata"]["name"] != "vault"]
    assert r.get("PodDisruptionBudget", "vault")["spec"]["maxUnavailable"] == 1
    assert "volumeClaimTemplates" not in r.server()["spec"]


def test_postgresql_url_from_a_secret():
    # The server reads VAULT_PG_CONNECTION_URL over connection_url, so the config needs none.
    r = rendered("postgresql-secret")
    config = r.config()
    assert_tresor_accepts(config)
    assert config["storage"] == {"postgresql": {"ha_enabled": "true", "table": "tresor_kv", "ha_table": "vault_ha_locks"}}
    assert r.env()["VAULT_PG_CONNECTION_URL"] == {"secretKeyRef": {"name": "tresor-pg", "key": "connection_url"}}
    assert "postgres://" not in yaml.safe_dump(r.get("ConfigMap", "vault-config"))
    assert r.container()["args"] == ["server", "-config=/vault/config/extraconfig-from-values.hcl"]
    assert r.env()["VAULT_API_ADDR"] == "http://$(HOSTNAME).vault-internal.vault.svc:8200"
    # The URL given in the values goes into the config and sets no variable.
    assert "VAULT_PG_CONNECTION_URL" not in rendered("postgresql").env()


def test_postgresql_url_and_secret_together_are_refused():
    with pytest.raises(helm.HelmRenderError) as failure:
        render_files(values(SCENARIOS["postgresql"] + ["server.ha.postgresql.connectionURLSecret.name=tresor-pg"]))
    assert "not both" in str(failure.value)


def test_tls_listener_and_https_probes():
    r = rendered("tls")
    tcp = r.config()["listener"]["tcp"]
    assert tcp == {"address": "0.0.0.0:8200", "tls_cert_file": "/vault/tls/tls.crt", "tls_key_file": "/vault/tls/tls.key"}
    assert_tresor_accepts(r.config())
    c = r.container()
    assert c["readinessProbe"]["httpGet"]["scheme"] == "HTTPS" and c["livenessProbe"]["httpGet"]["scheme"] == "HTTPS"
    assert r.env()["VAULT_ADDR"] == "https://127.0.0.1:8200" and r.env()["VAULT_CACERT"] == "/vault/tls/ca.crt"
    volumes = {v["name"]: v for v in r.server()["spec"]["template"]["spec"]["volumes"]}
    assert volumes["tls"]["secret"]["secretName"] == "tresor-tls"
    assert {"name": "tls", "mountPath": "/vault/tls", "readOnly": True} in c["volumeMounts"]
    assert r.env(r.get("Deployment", "vault-agent-injector"))["AGENT_INJECT_VAULT_ADDR"] == "https://vault.vault.svc:8200"


def test_external_server_renders_the_injector_and_token_review_only():
    r = rendered("external")
    assert not r.kinds("StatefulSet") and not r.kinds("ConfigMap")
    assert r.env(r.get("Deployment", "vault-agent-injector"))["AGENT_INJECT_VAULT_ADDR"] == "https://tresor.example.com:8200"
    assert r.get("ClusterRoleBinding", "vault-server-binding")


def test_injector_with_its_own_certificate():
    r = rendered("injector-own-certs")
    dep = r.get("Deployment", "vault-agent-injector")
    env = r.env(dep)
    assert env["AGENT_INJECT_TLS_CERT_FILE"] == "/etc/webhook/certs/tls.crt"
    assert env["AGENT_INJECT_TLS_KEY_FILE"] == "/etc/webhook/certs/tls.key"
    assert "AGENT_INJECT_TLS_AUTO" not in env
    assert dep["spec"]["template"]["spec"]["volumes"] == [{"name": "webhook-certs", "secret": {"secretName": "injector-tls"}}]
    (hook,) = r.get("MutatingWebhookConfiguration", "vault-agent-injector-cfg")["webhooks"]
    assert hook["clientConfig"]["caBundle"] == "Zm9v"
    assert r.get("PodDisruptionBudget", "vault-agent-injector")["spec"]["maxUnavailable"] == 1
    # auditStorage: a PVC and a file device declared in the config (the API may not add one).
    config = r.config()
    assert config["audit"] == {"file": {"file": {"file_path": "/vault/audit/audit.log"}}}
    assert [p["metadata"]["name"] for p in r.server()["spec"]["volumeClaimTemplates"]] == ["data", "audit"]


# --- refusals: HA without shared storage is not HA -----------------------------------------

@pytest.mark.parametrize("sets, message", [
    (["server.ha.enabled=true"], "needs storage that every replica shares"),
    (["server.ha.enabled=true", "server.ha.replicas=3"], "Several replicas on private SQLite files"),
    (["global.tlsDisable=false"], "set server.tls.secretName"),
    (["injector.replicas=2"], "injector.replicas > 1 needs injector.certs.secretName"),
    # vault-helm values for objects this chart does not render are refused, not dropped.
    (["server.ingress.enabled=true"], "server.ingress.enabled is set, but this chart does not support it"),
    (["ui.enabled=true"], "a separate UI Service is not rendered"),
])
def test_render_refuses(sets, message):
    with pytest.raises(helm.HelmRenderError) as failure:
        render_files(values(sets))
    assert message in str(failure.value)


def test_vault_helm_raft_config_is_refused_in_ha():
    # vault-helm's own raft.config would give each replica a private store.
    vals = values(SEED)
    vals["server"]["ha"]["raft"]["config"] = 'listener "tcp" {\n  address = "[::]:8200"\n}\nstorage "raft" {\n  path = "/vault/data"\n}\n'
    with pytest.raises(helm.HelmRenderError) as failure:
        render_files(vals)
    assert "per-pod storage" in str(failure.value)


@pytest.mark.parametrize("config, message", [
    # vault-helm's non-raft HA sample: Consul plus service_registration.
    ('storage "consul" {\n  path = "vault"\n  address = "HOST_IP:8500"\n}\n', 'storage "consul"'),
    ('storage "postgresql" {\n  connection_url = "postgres://db/v"\n  ha_enabled = "true"\n}\nservice_registration "kubernetes" {}\n',
     "sets service_registration"),
    ('storage "etcd" {\n  address = "http://HOST_IP:2379"\n  ha_enabled = "true"\n}\n', "placeholder HOST_IP"),
])
def test_keys_tresor_refuses_fail_the_render_not_the_pod(config, message):
    vals = values(["server.ha.enabled=true"])
    vals["server"]["ha"]["config"] = config
    with pytest.raises(helm.HelmRenderError) as failure:
        render_files(vals)
    assert message in str(failure.value)


def test_a_json_config_gets_disable_mlock_as_json():
    vals = values(["server.ha.enabled=true"])
    vals["server"]["ha"]["config"] = '{"storage": {"etcd": {"address": "http://e:2379", "ha_enabled": "true"}}, "listener": {"tcp": {"address": "0.0.0.0:8200", "tls_disable": true}}}'
    cm = next(d for p, t in render_files(vals).items() if p.endswith("configmap.yaml") for d in yaml.safe_load_all(t) if d)
    config = json.loads(cm["data"]["extraconfig-from-values.hcl"])
    assert config["disable_mlock"] is True and config["storage"]["etcd"]["ha_enabled"] == "true"


def test_values_schema_refuses_wrong_types():
    with pytest.raises(helm.HelmValuesError):
        render_files(values(["server.ha.replicas=three"]))


def test_a_vault_helm_values_file_renders_its_config_as_given():
    # The shape of vault-helm's standalone defaults, as users copy them into values files.
    text = """
server:
  standalone:
    config: |
      ui = true
      listener "tcp" {
        tls_disable = 1
        address = "[::]:8200"
        cluster_address = "[::]:8201"
      }
      storage "file" {
        path = "/vault/data"
      }
  dataStorage:
    storageClass: fast
  extraEnvironmentVars:
    my.setting: on
  extraSecretEnvironmentVars:
    - envName: AWS_SECRET_ACCESS_KEY
      secretName: vault
      secretKey: AWS_SECRET_ACCESS_KEY
  extraVolumes:
    - type: secret
      name: tresor-tls
  resources:
    requests: {memory: 256Mi, cpu: 250m}
"""
    files = render_files(helm.values_from_yaml(text))
    objects = [d for p, t in files.items() if not p.endswith("NOTES.txt") for d in yaml.safe_load_all(t) if d]
    for obj in objects:
        kubernetes_validate.validate(obj, KUBE, strict=True)
    cm = next(o for o in objects if o["kind"] == "ConfigMap")
    config = hcl.loads(cm["data"]["extraconfig-from-values.hcl"])
    assert config["storage"] == {"file": {"path": "/vault/data"}} and config["disable_mlock"] is True
    assert_tresor_accepts(config)
    sts = next(o for o in objects if o["kind"] == "StatefulSet")
    c = sts["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in c["env"]}
    assert env["MY_SETTING"] == "true"
    assert env["AWS_SECRET_ACCESS_KEY"] == {"secretKeyRef": {"name": "vault", "key": "AWS_SECRET_ACCESS_KEY"}}
    assert {"name": "userconfig-tresor-tls", "mountPath": "/vault/userconfig/tresor-tls", "readOnly": True} in c["volumeMounts"]
    assert c["resources"] == {"requests": {"memory": "256Mi", "cpu": "250m"}}
    assert sts["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] == "fast"


def test_release_names_follow_vault_helm():
    # `helm install vault` names things vault-*, as vault-helm does; other names get the chart's.
    for release, fullname in (("vault", "vault"), ("my-tresor", "my-tresor"), ("x", "x-tresor")):
        with helm.Chart.load(str(CHART)) as chart:
            files = chart.render({}, name=release, namespace="ns")
        sts = next(d for p, t in files.items() if p.endswith("server-statefulset.yaml") for d in yaml.safe_load_all(t) if d)
        assert sts["metadata"]["name"] == fullname


def test_server_log_level_and_format_become_flags():
    r = Rendered(["server.logLevel=debug", "server.logFormat=json"])
    args = r.container()["args"]
    assert "-log-level=debug" in args and "-log-format=json" in args
    assert not [a for a in Rendered([]).container()["args"] if a.startswith("-log-format")]

"""Runs the same workloads against a Tresor and an OpenBao dev server, alternating A/B rounds so
the ratio holds on a noisy machine, and reports throughput, p99 latency, start-up time and memory."""
import argparse
import base64
import http.client
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = Path(__file__).resolve().parent / "wrk"
# The interop tests' PostgreSQL cluster and Kubernetes API double serve the benchmark too.
sys.path.insert(0, str(ROOT / "Tests" / "Interop"))
os.environ.setdefault("TRESOR_BIN", "tresor")
from k8s_double import KubernetesDouble  # noqa: E402
from postgres_cluster import PostgresCluster  # noqa: E402
from production import make_tls  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import identity_bench  # noqa: E402
import pki_bench  # noqa: E402

CREATE_ROLE = """CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def healthy(port):
    """One sys/health probe over a bare socket: cheap enough to poll every millisecond."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=0.5)
    try:
        connection.request("GET", "/v1/sys/health")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


class Server:
    def __init__(self, name, binary):
        self.name = name
        self.binary = binary
        self.port = free_port()
        self.addr = f"http://127.0.0.1:{self.port}"
        self.home = tempfile.mkdtemp(prefix=f"bench-{name}-")
        self.proc, self.startup = self.launch(self.port)
        time.sleep(1)
        self.idle_rss = rss_kib(self.proc.pid)
        self.bodies = {}
        self.ocsp_path = ""
        self.write("secret/data/bench", {"data": {"user": "app", "password": "x" * 32}})

    def launch(self, port):
        """Starts a dev server on `port`; returns the process and the seconds until it was healthy."""
        command = [self.binary, "server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{port}"]
        if self.name == "openbao":
            # OpenBao refuses audit devices over the API unless its config allows it; the audit
            # workload enables a file device on both servers the same way.
            config = Path(self.home) / "allow-audit.hcl"
            config.write_text("unsafe_allow_api_audit_creation = true\n")
            command.append(f"-config={config}")
        started = time.monotonic()
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, HOME=self.home))
        while not healthy(port):
            if time.monotonic() - started > 60:
                raise RuntimeError(f"{self.name} did not start")
            time.sleep(0.001)
        return proc, time.monotonic() - started

    def startup_samples(self, count):
        """Start-up time of fresh servers beside the one under load, `count` times."""
        samples = []
        for _ in range(count):
            proc, seconds = self.launch(free_port())
            proc.terminate()
            proc.wait(timeout=20)
            samples.append(seconds)
        return samples

    def write(self, path, body):
        r = requests.post(f"{self.addr}/v1/{path}", headers={"X-Vault-Token": "root"}, json=body, timeout=30)
        if r.status_code >= 400:
            raise RuntimeError(f"{self.name}: {path}: {r.status_code} {r.text}")

    def setup_database(self, cluster):
        self.write("sys/mounts/database", {"type": "database"})
        self.write("database/config/bench", {
            "plugin_name": "postgresql-database-plugin", "allowed_roles": "*", "username": cluster.user,
            "password": cluster.password,
            "connection_url": f"postgresql://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{cluster.port}/postgres?sslmode=disable"})
        self.write("database/roles/bench", {"db_name": "bench", "creation_statements": CREATE_ROLE,
                                            "default_ttl": "1h", "max_ttl": "24h"})

    def setup_kubernetes(self, double):
        self.write("sys/auth/kubernetes", {"type": "kubernetes"})
        self.write("auth/kubernetes/config", {"kubernetes_host": double.url, "kubernetes_ca_cert": double.ca_pem,
                                              "token_reviewer_jwt": double.token("default", "vault-auth", lifetime=86400)})
        self.write("auth/kubernetes/role/bench", {"bound_service_account_names": "bench-sa",
                                                  "bound_service_account_namespaces": "default", "ttl": "1h"})

    def setup_userpass(self):
        self.write("sys/auth/userpass", {"type": "userpass"})
        self.write("auth/userpass/users/bench", {"password": "bench-password", "token_ttl": "1h"})

    def setup_transit(self):
        """Keys and request bodies for the transit rows; decrypt and verify use this server's own output."""
        self.write("sys/mounts/transit", {"type": "transit"})
        self.write("transit/keys/bench", {})
        self.write("transit/keys/bench-ed", {"type": "ed25519"})
        kib = base64.b64encode(os.urandom(1024)).decode()

        def body(name, value):
            path = Path(self.home) / f"{name}.json"
            path.write_text(json.dumps(value))
            self.bodies[name] = str(path)

        body("encrypt", {"plaintext": kib})
        ciphertext = self.post("transit/encrypt/bench", {"plaintext": kib})["ciphertext"]
        body("decrypt", {"ciphertext": ciphertext})
        body("batch", {"batch_input": [{"plaintext": kib} for _ in range(1000)]})
        message = base64.b64encode(b"benchmark message to sign").decode()
        body("sign", {"input": message})
        signature = self.post("transit/sign/bench-ed", {"input": message})["signature"]
        body("verify", {"input": message, "signature": signature})
        body("hmac", {"input": message})

    def post(self, path, body):
        r = requests.post(f"{self.addr}/v1/{path}", headers={"X-Vault-Token": "root"}, json=body, timeout=30)
        if r.status_code >= 400:
            raise RuntimeError(f"{self.name}: {path}: {r.status_code} {r.text}")
        return r.json()["data"]

    def enable_file_audit(self):
        self.write("sys/audit/file", {"type": "file", "options": {"file_path": os.path.join(self.home, "audit.log")}})

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=20)
        shutil.rmtree(self.home, ignore_errors=True)


# name, path, wrk script (None: GET), connections
KV_READ = ("KV v2 read (16 conns)", "/v1/secret/data/bench", None, 16)
WORKLOADS = [
    KV_READ,
    ("KV v2 read (64 conns)", "/v1/secret/data/bench", None, 64),
    ("KV v2 write", "/v1/secret/data/bench-write", "write.lua", 16),
    ("token lookup-self", "/v1/auth/token/lookup-self", None, 16),
    ("token create", "/v1/auth/token/create", "token_create.lua", 16),
    ("database creds", "/v1/database/creds/bench", None, 16),
    ("kubernetes login", "/v1/auth/kubernetes/login", "kubernetes_login.lua", 16),
]
# Transit rows: (workload, which request body of the server's own to post).
TRANSIT = [
    (("transit encrypt 1 KiB (16 conns)", "/v1/transit/encrypt/bench", "post_file.lua", 16), "encrypt"),
    (("transit decrypt 1 KiB (16 conns)", "/v1/transit/decrypt/bench", "post_file.lua", 16), "decrypt"),
    (("transit batch encrypt of 1,000 items (4 conns)", "/v1/transit/encrypt/bench", "post_file.lua", 4), "batch"),
    (("transit sign ed25519 (16 conns)", "/v1/transit/sign/bench-ed", "post_file.lua", 16), "sign"),
    (("transit verify ed25519 (16 conns)", "/v1/transit/verify/bench-ed", "post_file.lua", 16), "verify"),
    (("transit HMAC (16 conns)", "/v1/transit/hmac/bench", "post_file.lua", 16), "hmac"),
]
# Workloads that leave nothing behind, repeated to see whether memory keeps growing.
LEAK_CHECK = [KV_READ, ("KV v2 write", "/v1/secret/data/bench-write", "write.lua", 16),
              ("token lookup-self", "/v1/auth/token/lookup-self", None, 16)]


def wrk(server, path, script, conns, seconds, script_args=()):
    args = ["wrk", "-t", "2", "-c", str(conns), "-d", f"{seconds}s", "--latency", "-H", "X-Vault-Token: root"]
    if script:
        args += ["-s", str(SCRIPTS / script)]
    args.append(server.addr + path)
    if script_args:
        args += ["--", *script_args]
    out = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, float(p99.group(1)) * scale, int(errors.group(1)) if errors else 0


def run_under_logins(servers, workload, logins, rounds, seconds, results):
    """`workload` while `logins` connections log in with userpass all along: password hashing
    must not hold up other clients' requests."""
    name, path, script, conns = workload
    for _ in range(rounds):
        for server in servers:
            background = subprocess.Popen(
                ["wrk", "-t", "1", "-c", str(logins), "-d", f"{seconds + 2}s", "-s", str(SCRIPTS / "userpass_login.lua"),
                 server.addr + "/v1/auth/userpass/login/bench"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
            try:
                rps, p99, errors = wrk(server, path, script, conns, seconds)
            finally:
                background.wait(timeout=seconds + 60)
            entry = results.setdefault(name, {}).setdefault(server.name, {"rps": [], "p99": [], "errors": 0})
            entry["rps"].append(rps)
            entry["p99"].append(p99)
            entry["errors"] += errors


def run_alternating(servers, workload, rounds, seconds, results, script_args=()):
    name, path, script, conns = workload
    for _ in range(rounds):
        for server in servers:
            # A body file of each server's own (transit ciphertexts and signatures differ).
            args = (server.bodies[script_args[0]],) if script in ("post_file.lua", "get_as_token.lua") else script_args
            rps, p99, errors = wrk(server, path.replace("{ocsp}", server.ocsp_path), script, conns, seconds, args)
            entry = results.setdefault(name, {}).setdefault(server.name, {"rps": [], "p99": [], "errors": 0})
            entry["rps"].append(rps)
            entry["p99"].append(p99)
            entry["errors"] += errors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tresor", required=True)
    parser.add_argument("--bao", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--leak-rounds", type=int, default=4)
    parser.add_argument("--crl-revoked", type=int, default=100_000, help="revoked certificates in the CRL rebuild row (0: skip)")
    args = parser.parse_args()

    cluster = PostgresCluster()
    tls_dir = Path(tempfile.mkdtemp(prefix="bench-k8s-"))
    double = KubernetesDouble(make_tls(tls_dir))
    double.create_account("default", "vault-auth")
    double.create_account("default", "bench-sa")
    jwt = double.token("default", "bench-sa", lifetime=86400)
    tresor, bao = Server("tresor", args.tresor), Server("openbao", args.bao)
    servers = (tresor, bao)
    results, leak = {}, {s.name: [] for s in servers}
    try:
        for server in servers:
            server.setup_database(cluster)
            server.setup_kubernetes(double)
            server.setup_userpass()
            server.setup_transit()
            pki_bench.setup(server)
            identity_bench.setup(server)
        # Start-up is sampled on a quiet machine, before any load, alternating the servers: after
        # the load, a collector still returning memory would be measured along with the launch.
        launches = {s.name: [s.startup] for s in servers}
        for _ in range(args.rounds * 2):
            for server in servers:
                launches[server.name] += server.startup_samples(1)
        startup = {name: statistics.median(samples) for name, samples in launches.items()}
        for workload in WORKLOADS:
            extra = (jwt,) if workload[2] == "kubernetes_login.lua" else ()
            run_alternating(servers, workload, args.rounds, args.seconds, results, extra)
        for workload, body in TRANSIT:
            run_alternating(servers, workload, args.rounds, args.seconds, results, (body,))
        for workload, body in pki_bench.WORKLOADS:
            run_alternating(servers, workload, args.rounds, args.seconds, results, (body,) if body else ())
        for workload, body in identity_bench.WORKLOADS:
            run_alternating(servers, workload, args.rounds, args.seconds, results, (body,))
        crl_seconds = {s.name: pki_bench.crl_rebuild_seconds(s, args.crl_revoked) for s in servers} if args.crl_revoked else {}
        contended = ("KV v2 read (16 conns) during 50 userpass logins",) + KV_READ[1:]
        run_under_logins(servers, contended, 50, args.rounds, args.seconds, results)
        after = {s.name: rss_kib(s.proc.pid) for s in servers}
        for _ in range(args.leak_rounds):
            for workload in LEAK_CHECK:
                run_alternating(servers, workload, 1, args.seconds, {})
            for server in servers:
                leak[server.name].append(rss_kib(server.proc.pid))
        for server in servers:
            server.enable_file_audit()
        audited = ("KV v2 read with file audit (16 conns)",) + KV_READ[1:]
        run_alternating(servers, audited, args.rounds, args.seconds, results)
        idle = {s.name: s.idle_rss for s in servers}
    finally:
        for server in servers:
            server.stop()
        double.stop()
        cluster.stop()
        shutil.rmtree(tls_dir, ignore_errors=True)

    rows = []
    for name, by_server in results.items():
        t, b = by_server["tresor"], by_server["openbao"]
        rows.append((f"{name} req/s", statistics.median(t["rps"]), statistics.median(b["rps"])))
        rows.append((f"{name} p99 ms", statistics.median(t["p99"]), statistics.median(b["p99"])))
        if t["errors"] or b["errors"]:
            rows.append((f"{name} non-2xx", t["errors"], b["errors"]))
    if crl_seconds:
        rows.append((f"CRL rebuild with {args.crl_revoked:,} revoked certificates s", crl_seconds["tresor"], crl_seconds["openbao"]))
    rows.append(("start-up to healthy ms", startup["tresor"] * 1000, startup["openbao"] * 1000))
    rows.append(("idle RSS MiB", idle["tresor"] / 1024, idle["openbao"] / 1024))
    rows.append(("RSS after load MiB", after["tresor"] / 1024, after["openbao"] / 1024))
    growth = {name: (series[-1] - series[0]) / 1024 for name, series in leak.items() if series}
    if growth:
        rows.append((f"RSS growth over {args.leak_rounds} more load rounds MiB", growth["tresor"], growth["openbao"]))
    loss = {}
    for name in ("tresor", "openbao"):
        plain = statistics.median(results[KV_READ[0]][name]["rps"])
        audited_rps = statistics.median(results[audited[0]][name]["rps"])
        loss[name] = 100 * (1 - audited_rps / plain)
    rows.append(("file audit cost on KV read %", loss["tresor"], loss["openbao"]))
    # How many single encrypts one batch of 1,000 is worth in time: above 10 means a batch costs
    # less than a tenth of the single requests it replaces.
    batch_gain = {}
    for name in ("tresor", "openbao"):
        single = statistics.median(results[TRANSIT[0][0][0]][name]["rps"])
        batched = statistics.median(results[TRANSIT[2][0][0]][name]["rps"]) * 1000
        batch_gain[name] = batched / single
    rows.append(("transit batch of 1,000: items/s over single encrypt req/s", batch_gain["tresor"], batch_gain["openbao"]))

    lines = ["| measure | Tresor | OpenBao | Tresor / OpenBao |", "|---|---:|---:|---:|"]
    for label, ours, theirs in rows:
        ratio = f"{ours / theirs:.2f}" if theirs > 0 and ours >= 0 else "–"
        lines.append(f"| {label} | {ours:,.2f} | {theirs:,.2f} | {ratio} |")
    table = "\n".join(lines)
    series = "\n".join(f"- {name}: " + ", ".join(f"{kib / 1024:.1f}" for kib in values) + " MiB" for name, values in leak.items())
    print(table)
    print("RSS after each leak-check round:\n" + series)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB, {platform.platform()}"
    report = ROOT / "docs" / "benchmarks.md"
    report.write_text(f"""# Benchmarks: Tresor and OpenBao side by side

These are dev-mode figures: both servers keep everything in memory. The figures that hold in
production, on durable storage, are in the "Production storage" section below.

Produced by `scripts/bench.sh` on {time.strftime('%Y-%m-%d')}: both servers in dev mode on loopback, wrk with
2 threads on the same machine, {args.rounds} alternating rounds of {args.seconds}s per workload (medians shown).
Database credentials come from one PostgreSQL 15 cluster shared by both servers; Kubernetes logins
are reviewed by the interop tests' TokenReview double (HTTPS, RS256 service-account tokens).
The leak check repeats KV reads, KV writes and token lookups {args.leak_rounds} more times after the main
run and records RSS after each round; the audit row enables a file audit device at the end. The
login row reads KV while another wrk keeps 50 userpass logins going (password hashing on both).
OpenBao refuses the 1,000-item transit batch with its default JSON limits ("exceeded maximum number
of strings"), so its batch row counts those refusals and its batch ratio is not comparable.
Start-up is the median of {1 + 2 * args.rounds} launches, from exec to the first healthy `sys/health`
(polled every millisecond), taken before any load with the two servers alternating; idle RSS is read
one second after start-up.

Machine: {machine}

{table}

RSS after each leak-check round:

{series}
""")


if __name__ == "__main__":
    main()

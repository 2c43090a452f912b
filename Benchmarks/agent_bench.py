"""Agent benchmark: `tresor agent` and `bao agent`, each rendering the same 10 templates from a
Tresor dev server with AppRole auto-auth — time from start to the tenth file, RSS once idle, and
CPU spent while idle. Writes docs/benchmarks-agent.md. Usage: scripts/bench-agent.sh [--runs N] [--idle S]"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "Interop"))
from conftest import free_port  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def rss_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def bao(binary, addr, *args, stdin=None):
    env = dict(os.environ, VAULT_ADDR=addr, VAULT_TOKEN="root")
    out = subprocess.run([binary, *args], input=stdin, capture_output=True, text=True, env=env, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"{args}: {out.stderr}")
    return out.stdout.strip()


def prepare(server_bin, bao_bin, workdir):
    port = free_port()
    addr = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([server_bin, "server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{port}"],
                              stdout=open(workdir / "server.log", "w"), stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if requests.get(addr + "/v1/sys/health", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.1)
    for index in range(10):
        bao(bao_bin, addr, "kv", "put", f"secret/app{index}", f"user=user{index}", f"pass=pass{index}")
    bao(bao_bin, addr, "policy", "write", "bench", "-", stdin='path "secret/*" { capabilities = ["read"] }')
    bao(bao_bin, addr, "auth", "enable", "approle")
    bao(bao_bin, addr, "write", "auth/approle/role/bench", "token_policies=bench", "token_ttl=1h")
    (workdir / "role_id").write_text(bao(bao_bin, addr, "read", "-field=role_id", "auth/approle/role/bench/role-id"))
    (workdir / "secret_id").write_text(bao(bao_bin, addr, "write", "-f", "-field=secret_id", "auth/approle/role/bench/secret-id"))
    return server, addr


def config(workdir, addr, name):
    out = workdir / name
    out.mkdir(exist_ok=True)
    text = f'''vault {{ address = "{addr}" }}
auto_auth {{
  method "approle" {{
    config = {{
      role_id_file_path = "{workdir / "role_id"}"
      secret_id_file_path = "{workdir / "secret_id"}"
      remove_secret_id_file_after_reading = false
    }}
  }}
  sink "file" {{ config = {{ path = "{out / "token"}" }} }}
}}
'''
    for index in range(10):
        text += f'''template {{
  contents    = "{{{{ with secret \\"secret/data/app{index}\\" }}}}DB_USER={{{{ .Data.data.user }}}}\\nDB_PASS={{{{ .Data.data.pass }}}}{{{{ end }}}}"
  destination = "{out / f"secret{index}"}"
}}
'''
    path = workdir / f"{name}.hcl"
    path.write_text(text)
    return path, out


def measure(binary, config_path, out, addr, idle):
    for old in out.glob("secret*"):
        old.unlink()
    started = time.time()
    proc = subprocess.Popen([binary, "agent", f"-config={config_path}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=dict(os.environ, VAULT_ADDR=addr))
    try:
        while len(list(out.glob("secret*"))) < 10:
            if proc.poll() is not None:
                raise RuntimeError(f"{binary} agent exited")
            if time.time() - started > 60:
                raise RuntimeError(f"{binary} agent did not render")
            time.sleep(0.002)
        first_render = (time.time() - started) * 1000
        time.sleep(2)
        rss = rss_mib(proc.pid)
        cpu_before = cpu_seconds(proc.pid)
        time.sleep(idle)
        cpu_idle = (cpu_seconds(proc.pid) - cpu_before) * 1000
        return first_render, rss, cpu_idle
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tresor", required=True)
    parser.add_argument("--bao", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle", type=float, default=60)
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks-agent.md"))
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="agent-bench-"))
    server, addr = prepare(args.tresor, args.bao, workdir)
    results = {"tresor": [], "bao": []}
    try:
        paths = {name: config(workdir, addr, name) for name in results}
        for _ in range(args.runs):
            for name, binary in (("tresor", args.tresor), ("bao", args.bao)):
                results[name].append(measure(binary, *paths[name], addr, args.idle))
    finally:
        server.terminate()
        server.wait(timeout=10)
    rows = []
    labels = ["start to the tenth rendered file ms", "RSS once idle MiB", f"CPU while idle over {args.idle:g} s ms"]
    for index, label in enumerate(labels):
        ours = statistics.median(r[index] for r in results["tresor"])
        theirs = statistics.median(r[index] for r in results["bao"])
        ratio = f"{ours / theirs:.2f}" if theirs else "–"
        rows.append(f"| {label} | {ours:,.2f} | {theirs:,.2f} | {ratio} |")
    text = f"""# Agent benchmark: `tresor agent` and `bao agent` side by side

Produced by `scripts/bench-agent.sh` on {time.strftime("%Y-%m-%d")}: one Tresor dev server (release build), both
agents with the same configuration — AppRole auto-auth, a file sink, 10 templates each reading a KV v2
secret — started {args.runs} times each, alternating (medians shown). The start time runs from exec to the tenth
destination file; RSS is read 2 s later; idle CPU is user + system time over the next {args.idle:g} s.

Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}

| measure | Tresor | OpenBao | Tresor / OpenBao |
|---|---:|---:|---:|
""" + "\n".join(rows) + "\n"
    Path(args.output).write_text(text)
    print(text)


if __name__ == "__main__":
    main()

"""A throwaway PostgreSQL cluster for tests: initdb into a temp dir, a free loopback port, stopped by PID."""
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from conftest import free_port


def pg_bin(name):
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return candidates[-1]


class PostgresCluster:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="tresor-pg-"))
        self.port = free_port()
        self.user = "postgres"
        # initdb refuses to run as root; run the cluster as the postgres system user then.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres", "postgres")
        data = self.dir / "data"
        subprocess.run(self.as_user + [pg_bin("initdb"), "-D", str(data), "-U", self.user, "--auth=trust", "-E", "UTF8"],
                       check=True, capture_output=True)
        self.log = self.dir / "postgres.log"
        self.proc = subprocess.Popen(
            self.as_user + [pg_bin("postgres"), "-D", str(data), "-p", str(self.port), "-k", str(self.dir),
                            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=on"],
            stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if subprocess.run([pg_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)], capture_output=True).returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("PostgreSQL did not start:\n" + self.log.read_text())

    @property
    def url(self):
        return f"postgres://{self.user}@127.0.0.1:{self.port}/postgres?sslmode=disable"

    def psql(self, sql):
        return subprocess.run([pg_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "-d", "postgres",
                               "-At", "-c", sql], capture_output=True, text=True, check=True).stdout

    def stop(self):
        # Signal the postmaster itself (its PID is in postmaster.pid): a wrapper like runuser
        # does not pass signals on. SIGINT is PostgreSQL's fast shutdown.
        pid_file = self.dir / "data" / "postmaster.pid"
        if pid_file.exists():
            try:
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGINT)
            except (ProcessLookupError, ValueError):
                pass
        else:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

"""A throwaway PostgreSQL cluster for tests: initdb into a temp dir, a free loopback port, stopped by PID.

Connections over TCP need the password (scram-sha-256), so credentials Tresor issues are really
checked; the local socket is trusted for the test's own setup.
"""
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
        self.password = "pg-admin-password"
        # initdb refuses to run as root; run the cluster as the postgres system user then.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        pwfile = self.dir / "pw"
        pwfile.write_text(self.password + "\n")
        if self.as_user:
            shutil.chown(pwfile, "postgres", "postgres")
        subprocess.run(self.as_user + [pg_bin("initdb"), "-D", str(self.data), "-U", self.user, "--auth-local=trust",
                                       "--auth-host=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8"],
                       check=True, capture_output=True)
        self.log = self.dir / "postgres.log"
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            self.as_user + [pg_bin("postgres"), "-D", str(self.data), "-p", str(self.port), "-k", str(self.dir),
                            "-c", "listen_addresses=127.0.0.1"],
            stdout=open(self.log, "a"), stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if subprocess.run([pg_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)], capture_output=True).returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("PostgreSQL did not start:\n" + self.log.read_text())

    @property
    def url(self):
        return f"postgres://{self.user}:{self.password}@127.0.0.1:{self.port}/postgres?sslmode=disable"

    def psql(self, sql):
        return subprocess.run([pg_bin("psql"), "-h", str(self.dir), "-p", str(self.port), "-U", self.user, "-d", "postgres",
                               "-At", "-v", "ON_ERROR_STOP=1", "-c", sql], capture_output=True, text=True, check=True).stdout

    def connect_as(self, user, password, sql):
        """Runs SQL over TCP with a password, as an application would."""
        return subprocess.run([pg_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", user, "-d", "postgres",
                               "-At", "-v", "ON_ERROR_STOP=1", "-c", sql], capture_output=True, text=True,
                              env=dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT="5"))

    def stop_server(self):
        # Signal the postmaster itself (its PID is in postmaster.pid): a wrapper like runuser
        # does not pass signals on. SIGINT is PostgreSQL's fast shutdown.
        pid_file = self.data / "postmaster.pid"
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

    def stop(self):
        self.stop_server()
        shutil.rmtree(self.dir, ignore_errors=True)

"""A real PostgreSQL server for the history tests: initdb in a temp dir, pg_ctl on a free
loopback port, password (SCRAM) authentication, stopped afterwards.

PostgreSQL refuses to run as root ("root" execution of the PostgreSQL server is not
permitted), and CI runs as root: then the server runs as the `postgres` account that the
Debian package creates (or `nobody`), in a directory that account owns.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.lab.net import lab_ip

USER = "checker"
PASSWORD = "lab-Pg-pass-7731"  # a lab secret: the tests check it never reaches a report
ACCOUNTS = ("postgres", "nobody")


def bin_dir() -> Path:
    """The newest PostgreSQL server binaries: /usr/lib/postgresql/<major>/bin, or PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parent.parent.name) if
                   Path(p).parent.parent.name.isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql): "
                       "the history tests need a real server")


def _account() -> pwd.struct_passwd | None:
    """The unprivileged account to run the server as, when we are root."""
    if os.geteuid() != 0:
        return None
    for name in ACCOUNTS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and no unprivileged account (postgres, nobody) "
                       "to run PostgreSQL as")


def free_port(ip: str) -> int:
    with socket.socket() as s:
        s.bind((ip, 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    root: Path
    ip: str
    port: int
    account: pwd.struct_passwd | None

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres", **query: str) -> str:
        tail = "&".join(f"{k}={v}" for k, v in query.items())
        return f"postgresql://{USER}@{self.ip}:{self.port}/{database}" + (f"?{tail}" if tail else "")

    def _run(self, *argv: str, timeout: float = 120) -> None:
        kw = {"user": self.account.pw_uid, "group": self.account.pw_gid} if self.account else {}
        proc = subprocess.run([str(bin_dir() / argv[0]), *argv[1:]], capture_output=True,
                              text=True, timeout=timeout, cwd=self.root, check=False, **kw)
        if proc.returncode:
            raise RuntimeError(f"{argv[0]} failed ({proc.returncode}): {proc.stderr.strip()}")

    def start(self) -> None:
        options = (f"-c listen_addresses={self.ip} -c port={self.port} "
                   f"-c unix_socket_directories={self.root} -c max_connections=60")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), password=PASSWORD, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def start(ip_index: int = 40) -> PostgresServer:
    """initdb into a fresh temp dir and start the server on a free port of a lab address."""
    account = _account()
    root = Path(tempfile.mkdtemp(prefix="checker-pg-"))  # not under /tmp/pytest-of-root (0700)
    if account:
        os.chown(root, account.pw_uid, account.pw_gid)
    ip = lab_ip(ip_index)
    server = PostgresServer(root, ip, free_port(ip), account)
    pwfile = root / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if account:
        os.chown(pwfile, account.pw_uid, account.pw_gid)
    server._run("initdb", "-D", str(server.data), "-U", USER, f"--pwfile={pwfile}",
                "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8")
    pwfile.unlink()
    server.start()
    return server


def remove(server: PostgresServer) -> None:
    server.stop("immediate")
    shutil.rmtree(server.root, ignore_errors=True)

"""One Samba AD DC of a lab forest (tests.lab.forests) on a loopback address: provision,
configure, start, stop, copy, and change it over LDAP or offline. See tests/lab/samba.py."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

from tests.lab.forests import LAB, PASSWORD, Forest
from tests.lab.labtls import write_server_files
from tests.lab.net import lab_ip

LDIF_DIR = Path(__file__).parent / "ldif"


class LabError(RuntimeError):
    pass


def require_tools() -> None:
    """Fail loudly (never skip) when Samba or the LDAP tools are missing."""
    missing = [t for t in ("samba", "samba-tool", "ldbmodify", "ldapmodify") if not shutil.which(t)]
    if missing:
        raise LabError(f"Samba lab tools not found on PATH: {', '.join(missing)}")


def run(cmd: list[str], timeout: float = 600, **kw: object) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)  # type: ignore[call-overload]
    if proc.returncode != 0:
        raise LabError(f"{cmd[0]} failed rc={proc.returncode}: {proc.stderr[-2000:]}")
    return str(proc.stdout)


@dataclass
class SambaDC:
    """One DC directory (`root/dc`) of `forest`, served on `ip`. Not running until `start()`."""

    root: Path
    ip: str = field(default_factory=lambda: lab_ip(2))
    # "yes" refuses simple binds without TLS and SASL binds without sign/seal even inside
    # TLS; "allow_sasl_over_tls" accepts a Kerberos bind inside TLS, as a Windows DC that
    # requires signing does (TLS satisfies it). Both refuse a simple bind over plain LDAP.
    strong_auth: str = "yes"
    forest: Forest = LAB
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    @property
    def dc(self) -> Path:
        return self.root / "dc"

    @property
    def url(self) -> str:
        return f"ldap://{self.ip}"

    @property
    def ca_file(self) -> Path:
        return self.dc / "labtls" / "ca.pem"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://{self.ip}"

    @property
    def krb5_conf(self) -> Path:
        """A krb5.conf (for KRB5_CONFIG) whose realm's KDC is this DC."""
        return self.dc / "etc" / "krb5.conf"

    @property
    def pid_file(self) -> Path:
        return self.dc / "run" / "samba.pid"

    @property
    def sam(self) -> str:
        return str(self.dc / "private" / "sam.ldb")

    @property
    def conf(self) -> str:
        return str(self.dc / "etc" / "smb.conf")

    def configure(self) -> None:
        """Write smb.conf, krb5.conf and a fresh server certificate (signed by the forest's
        lab CA, kept beside the DC folder) for this directory and IP."""
        d = self.dc
        for sub in ("run", "log", "etc", "cache", "labtls"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        (d / "etc" / "smb.conf").write_text(self.forest.smb_conf(self.ip, d, self.strong_auth))
        self.krb5_conf.write_text(self.forest.krb5_conf(self.ip))
        write_server_files(d / "labtls", self.ip, self.forest.dns_name, d.parent / "lab-ca")

    def copy_to(self, root: Path, ip: str, strong_auth: str = "yes") -> SambaDC:
        """A stopped copy of this DC (and its forest's CA) in `root`, configured for `ip`."""
        if self.running():
            raise LabError("copy a stopped DC only")
        root.mkdir(parents=True, exist_ok=True)
        run(["cp", "-a", str(self.dc), str(root / "dc")])
        ca = self.dc.parent / "lab-ca"
        if ca.exists():
            run(["cp", "-a", str(ca), str(root / "lab-ca")])
        new = SambaDC(root, ip, strong_auth, self.forest)
        new.configure()
        return new

    def pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def running(self) -> bool:
        pid = self.pid()
        if pid is None:
            return False
        if self._proc is not None and self._proc.pid == pid:
            return self._proc.poll() is None  # reaps our own child: no zombie left behind
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        return state != "Z"

    def start(self, timeout: float = 60) -> None:
        log = (self.dc / "log" / "samba.out").open("ab")
        proc = self._proc = subprocess.Popen(
            ["samba", "-s", self.conf, "-F", "--debug-stdout"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise LabError(f"samba exited rc={proc.returncode}; see {self.dc}/log")
            if self._binds():
                return
            time.sleep(0.1)
        raise LabError(f"samba on {self.ip} did not answer an LDAP bind in {timeout}s")

    def admin_connection(self, timeout: float = 2) -> Any:
        """A bound ldap3 connection as the forest's admin: a simple bind over LDAPS, verified
        against the forest's lab CA (the DC takes a simple bind over TLS only)."""
        import ssl

        import ldap3

        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(self.ca_file),
                        valid_names=[self.forest.dns_name])
        server = ldap3.Server(self.ip, port=636, use_ssl=True, tls=tls, get_info=ldap3.NONE,
                              connect_timeout=timeout)
        return ldap3.Connection(server, self.forest.admin, PASSWORD, receive_timeout=timeout,
                                auto_bind=True)

    def _binds(self) -> bool:
        import ldap3

        try:
            conn = self.admin_connection(timeout=1)
        except (ldap3.core.exceptions.LDAPException, OSError):
            return False
        conn.unbind()
        return True

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM the master by the pid file and wait until it is gone."""
        pid = self.pid()
        if pid is None or not self.running():
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.running():
            time.sleep(0.05)
        if self.running():
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.5)
        self.pid_file.unlink(missing_ok=True)

    def kill(self) -> None:
        """Kill the whole samba process group at once (a crash, for fault tests)."""
        pid = self.pid()
        if pid is not None:
            os.killpg(pid, signal.SIGKILL)
            while self.running():
                time.sleep(0.05)

    def ldapmodify(self, ldif: str) -> None:
        """Apply LDIF over LDAP with the real ldapmodify (the DC must be running)."""
        with tempfile.TemporaryDirectory() as tmp:
            pw, src = Path(tmp) / "pw", Path(tmp) / "in.ldif"
            pw.write_text(PASSWORD)  # -y file: the secret never goes on a command line
            pw.chmod(0o600)
            src.write_text(ldif)
            # over LDAPS, verified against the lab CA: the DC refuses a simple bind without TLS
            env = {**os.environ, "LDAPTLS_CACERT": str(self.ca_file), "LDAPTLS_REQCERT": "demand"}
            run(["ldapmodify", "-x", "-H", self.ldaps_url, "-D", self.forest.admin, "-y", str(pw),
                 "-f", str(src)], env=env)

    def ldbmodify(self, ldif: str, relax: bool = False) -> None:
        """Apply LDIF offline (samba stopped): in batch mode (fast bulk loads), or with the
        relax control, which lets it write what only the DC itself may (whenCreated, the
        NTDS Settings of another DC)."""
        if self.running():
            raise LabError("ldbmodify needs samba stopped")
        with tempfile.NamedTemporaryFile("w", suffix=".ldif", dir=self.root) as f:
            f.write(ldif)
            f.flush()
            mode = ["--controls=relax:0"] if relax else ["-o", "batch_mode:1"]
            run(["ldbmodify", "--configfile", self.conf, *mode, "-H", self.sam, f.name])

    def ldbsearch(self, base: str, expr: str, attr: str = "dn") -> list[str]:
        """Offline search: the values of `attr` (one per line of output)."""
        out = run(["ldbsearch", "--configfile", self.conf, "-H", self.sam, "-b", base, expr,
                   attr], timeout=120)
        prefix = f"{attr}: "
        return [line[len(prefix):] for line in out.splitlines() if line.startswith(prefix)]

    def extend_schema(self, values: Mapping[str, str] | None = None, objects: bool = True) -> None:
        """Add the Exchange-like schema and (unless `objects` is false: /PrepareSchema only)
        the org and MESO objects, with the forest's Exchange values unless `values` override
        them. The DC must be running: this goes over LDAP."""
        f = self.forest
        subst = {**f.exchange_values, **(values or {}), "SCHEMA_NC": f.schema_nc,
                 "CONFIG_NC": f.config_nc, "DOMAIN_DN": f.domain_dn}
        reload = (LDIF_DIR / "schema-reload.ldif").read_text()
        steps = ("exchange-schema-attrs", None, "exchange-schema-classes", None)
        for name in (*steps, "exchange-objects") if objects else steps:
            text = reload if name is None else (LDIF_DIR / f"{name}.ldif").read_text()
            self.ldapmodify(Template(text).substitute(subst))


def become_second_dc(dc: SambaDC, name: str = "LABDC2") -> None:
    """Offline (samba stopped): give this copy a server object and NTDS Settings of its own,
    as a second DC of the domain has, and point its RootDSE dsServiceName at them. Two DCs
    then answer for one directory with different dsServiceName (and, after writes on one,
    different uSNChanged), as real replicas do."""
    if dc.running():
        raise LabError("become_second_dc needs samba stopped")
    server = f"CN={name},CN=Servers,CN=Default-First-Site-Name,CN=Sites,{dc.forest.config_nc}"
    dc.ldbmodify(f"dn: {server}\nchangetype: add\nobjectClass: server\n"
                 f"dNSHostName: {name.lower()}.{dc.forest.dns_domain}\n\n"
                 f"dn: CN=NTDS Settings,{server}\nchangetype: add\nobjectClass: nTDSDSA\n"
                 "options: 1\n", relax=True)
    guid = dc.ldbsearch(f"CN=NTDS Settings,{server}", "(objectClass=*)", "objectGUID")[0]
    dc.ldbmodify(f"dn: @ROOTDSE\nchangetype: modify\nreplace: dsServiceName\n"
                 f"dsServiceName: <GUID={guid}>\n-\n")


def provision(root: Path, forest: Forest = LAB) -> SambaDC:
    """A freshly provisioned, configured, stopped DC of `forest` in `root/dc` (about 8 s)."""
    require_tools()
    root.mkdir(parents=True, exist_ok=True)
    run(["samba-tool", "domain", "provision", f"--realm={forest.realm}",
         f"--domain={forest.netbios}", "--server-role=dc", "--dns-backend=NONE",
         f"--adminpass={PASSWORD}", "--use-rfc2307", f"--targetdir={root / 'dc'}",
         f"--host-name={forest.hostname}"], env={**os.environ, "PYTHONHASHSEED": "0"})
    dc = SambaDC(root, forest=forest)
    dc.configure()
    dc.ldbmodify(forest.dc_spns())
    return dc


@dataclass(frozen=True)
class Templates:
    """Stopped DCs of one forest to copy from: `plain` (no Exchange schema) and `exchange`
    (extended with the forest's Exchange values)."""

    plain: SambaDC
    exchange: SambaDC

    @property
    def forest(self) -> Forest:
        return self.plain.forest


def build_templates(workdir: Path, ip: str | None = None, forest: Forest = LAB) -> Templates:
    plain = provision(workdir / "plain", forest)
    plain.ip = ip or lab_ip(2)
    plain.configure()
    exchange = plain.copy_to(workdir / "exchange", plain.ip)
    exchange.start()
    try:
        exchange.extend_schema()
    finally:
        exchange.stop()
    return Templates(plain, exchange)

"""A real Samba AD DC on loopback, for the LDAP lab tests and the benchmark.

It installs nothing: `samba`, `samba-tool`, `ldbmodify` and `ldapmodify` must be on PATH
(Debian: samba samba-ad-dc samba-ad-provision winbind ldb-tools ldap-utils).

    python -m tests.lab.samba up healthy --dir /tmp/lab --ip 127.0.0.2   # default lab_ip(2)
    python -m tests.lab.samba down --dir /tmp/lab

One DC is provisioned per session and copied (`cp -a`, stopped) per scenario. LDAP ports are
fixed (389/636/3268/3269, and 88 for the KDC), so concurrent DCs listen on different loopback
addresses (`interfaces = 127.0.0.N/8`). The lab makes its own CA and a server certificate
whose SAN holds the IP and the DC's DNS name, so TLS verification can be tested for real.

The DC is hardened as a Windows DC is: `ldap server require strong auth = yes` refuses a
simple bind without TLS (strongerAuthRequired), as "LDAP server signing requirements =
Require signing" does. Its own KDC runs (`server services = ldap, kdc`), and `krb5_conf`
writes a krb5.conf that points the realm at it, for Kerberos (SASL GSSAPI) binds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

import yaml

from tests.lab.labtls import write_server_files
from tests.lab.net import lab_ip

LDIF_DIR = Path(__file__).parent / "ldif"
SCENARIO_DIR = Path(__file__).parent / "scenarios" / "ad"
REALM = "LAB.EXAMPLE.COM"
DNS_DOMAIN = "lab.example.com"
DOMAIN_DN = "DC=lab,DC=example,DC=com"
CONFIG_NC = f"CN=Configuration,{DOMAIN_DN}"
SCHEMA_NC = f"CN=Schema,{CONFIG_NC}"
HOSTNAME = "labdc"
DNS_NAME = f"{HOSTNAME}.{DNS_DOMAIN}"
ADMIN = f"Administrator@{DNS_DOMAIN}"
PASSWORD = "Passw0rd!Lab1"  # a throwaway lab secret, not a real one
EXCHANGE_DEFAULTS = {
    "RANGE_UPPER": "17003",
    "ORG_NAME": "Lab Org",
    "ORG_VERSION": "16763",
    "MESO_VERSION": "13243",
}
SMB_CONF = """[global]
\tnetbios name = LABDC
\trealm = {realm}
\tworkgroup = LAB
\tserver role = active directory domain controller
\tserver services = ldap, kdc
\tinterfaces = {ip}/8
\tbind interfaces only = yes
\tprivate dir = {d}/private
\tstate directory = {d}/state
\tcache directory = {d}/cache
\tlock directory = {d}
\tbinddns dir = {d}/bind-dns
\tpid directory = {d}/run
\tncalrpc dir = {d}/run/ncalrpc
\twinbindd socket directory = {d}/run/winbindd
\tlog file = {d}/log/log.%m
\tlogging = file
\tlog level = 1
\tldap server require strong auth = {strong_auth}
\tdsdb:schema update allowed = true
\tidmap_ldb:use rfc2307 = yes
\ttls enabled = yes
\ttls keyfile = {d}/labtls/key.pem
\ttls certfile = {d}/labtls/cert.pem
\ttls cafile = {d}/labtls/ca.pem
"""
KRB5_CONF = """[libdefaults]
\tdefault_realm = {realm}
\tdns_lookup_kdc = false
\tdns_lookup_realm = false
\trdns = false
\tdns_canonicalize_hostname = false
\tudp_preference_limit = 1
[realms]
\t{realm} = {{
\t\tkdc = {ip}
\t}}
[domain_realm]
\t.{domain} = {realm}
\t{domain} = {realm}
"""


class LabError(RuntimeError):
    pass


def require_tools() -> None:
    """Fail loudly (never skip) when Samba or the LDAP tools are missing."""
    missing = [t for t in ("samba", "samba-tool", "ldbmodify", "ldapmodify") if not shutil.which(t)]
    if missing:
        raise LabError(f"Samba lab tools not found on PATH: {', '.join(missing)}")


def _run(cmd: list[str], timeout: float = 600, **kw: object) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)  # type: ignore[call-overload]
    if proc.returncode != 0:
        raise LabError(f"{cmd[0]} failed rc={proc.returncode}: {proc.stderr[-2000:]}")
    return str(proc.stdout)


@dataclass
class SambaDC:
    """One DC directory (`root/dc`) served on `ip`. Not running until `start()`."""

    root: Path
    ip: str = field(default_factory=lambda: lab_ip(2))
    # "yes" refuses simple binds without TLS and SASL binds without sign/seal even inside
    # TLS; "allow_sasl_over_tls" accepts a Kerberos bind inside TLS, as a Windows DC that
    # requires signing does (TLS satisfies it). Both refuse a simple bind over plain LDAP.
    strong_auth: str = "yes"
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

    def configure(self) -> None:
        """Write smb.conf and a fresh server certificate for this directory and IP."""
        d = self.dc
        for sub in ("run", "log", "etc", "cache", "labtls"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        conf = SMB_CONF.format(realm=REALM, ip=self.ip, d=d, strong_auth=self.strong_auth)
        (d / "etc" / "smb.conf").write_text(conf)
        self.krb5_conf.write_text(KRB5_CONF.format(realm=REALM, ip=self.ip, domain=DNS_DOMAIN))
        write_server_files(d / "labtls", self.ip, DNS_NAME, d.parent / "lab-ca")

    def copy_to(self, root: Path, ip: str, strong_auth: str = "yes") -> SambaDC:
        """A stopped copy of this DC in `root`, configured for `ip`."""
        if self.running():
            raise LabError("copy a stopped DC only")
        root.mkdir(parents=True, exist_ok=True)
        _run(["cp", "-a", str(self.dc), str(root / "dc")])
        ca = self.dc.parent / "lab-ca"
        if ca.exists():
            _run(["cp", "-a", str(ca), str(root / "lab-ca")])
        new = SambaDC(root, ip, strong_auth)
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
        conf = self.dc / "etc" / "smb.conf"
        log = (self.dc / "log" / "samba.out").open("ab")
        proc = self._proc = subprocess.Popen(
            ["samba", "-s", str(conf), "-F", "--debug-stdout"],
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
        """A bound ldap3 connection as the lab admin: a simple bind over LDAPS, verified
        against the lab CA (the DC takes a simple bind over TLS only)."""
        import ssl

        import ldap3

        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(self.ca_file),
                        valid_names=[DNS_NAME])
        server = ldap3.Server(self.ip, port=636, use_ssl=True, tls=tls, get_info=ldap3.NONE,
                              connect_timeout=timeout)
        return ldap3.Connection(server, ADMIN, PASSWORD, receive_timeout=timeout,
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
            _run(["ldapmodify", "-x", "-H", self.ldaps_url, "-D", ADMIN, "-y", str(pw), "-f",
                  str(src)], env=env)

    def ldbmodify(self, ldif: str) -> None:
        """Apply LDIF offline (samba stopped) in batch mode: fast bulk loads."""
        if self.running():
            raise LabError("ldbmodify needs samba stopped")
        with tempfile.NamedTemporaryFile("w", suffix=".ldif", dir=self.root) as f:
            f.write(ldif)
            f.flush()
            conf = str(self.dc / "etc" / "smb.conf")
            sam = str(self.dc / "private" / "sam.ldb")
            _run(["ldbmodify", "--configfile", conf, "-o", "batch_mode:1", "-H", sam, f.name])

    def extend_schema(self, values: Mapping[str, str] | None = None, objects: bool = True) -> None:
        """Add the Exchange-like schema and (unless `objects` is false: /PrepareSchema only)
        the org and MESO objects. The DC must be running: this goes over LDAP."""
        subst = {**EXCHANGE_DEFAULTS, **(values or {}), "SCHEMA_NC": SCHEMA_NC,
                 "CONFIG_NC": CONFIG_NC, "DOMAIN_DN": DOMAIN_DN}
        reload = (LDIF_DIR / "schema-reload.ldif").read_text()
        steps = ("exchange-schema-attrs", None, "exchange-schema-classes", None)
        for name in (*steps, "exchange-objects") if objects else steps:
            text = reload if name is None else (LDIF_DIR / f"{name}.ldif").read_text()
            self.ldapmodify(Template(text).substitute(subst))


SITE_SERVERS = f"CN=Servers,CN=Default-First-Site-Name,CN=Sites,{CONFIG_NC}"


def become_second_dc(dc: SambaDC, name: str = "LABDC2") -> None:
    """Offline (samba stopped): give this copy a server object and NTDS Settings of its own,
    as a second DC of the domain has, and point its RootDSE dsServiceName at them. Two DCs
    then answer for one directory with different dsServiceName (and, after writes on one,
    different uSNChanged), as real replicas do."""
    if dc.running():
        raise LabError("become_second_dc needs samba stopped")
    server = f"CN={name},{SITE_SERVERS}"
    ldif = (f"dn: {server}\nchangetype: add\nobjectClass: server\n"
            f"dNSHostName: {name.lower()}.{DNS_DOMAIN}\n\n"
            f"dn: CN=NTDS Settings,{server}\nchangetype: add\nobjectClass: nTDSDSA\n"
            "options: 1\n")
    _ldb(dc, ["ldbmodify", "--controls=relax:0"], ldif)
    guid = _ldbsearch(dc, f"CN=NTDS Settings,{server}", "(objectClass=*)", "objectGUID")[0]
    _ldb(dc, ["ldbmodify"], f"dn: @ROOTDSE\nchangetype: modify\nreplace: dsServiceName\n"
                            f"dsServiceName: <GUID={guid}>\n-\n")


def _ldb(dc: SambaDC, cmd: list[str], ldif: str) -> None:
    path = dc.root / "step.ldif"
    path.write_text(ldif)
    _run([*cmd, "--configfile", str(dc.dc / "etc" / "smb.conf"), "-H",
          str(dc.dc / "private" / "sam.ldb"), str(path)])


def provision(root: Path) -> SambaDC:
    """A freshly provisioned, configured, stopped DC in `root/dc` (about 8 s)."""
    require_tools()
    root.mkdir(parents=True, exist_ok=True)
    _run(["samba-tool", "domain", "provision", f"--realm={REALM}", "--domain=LAB",
          "--server-role=dc", "--dns-backend=NONE", f"--adminpass={PASSWORD}",
          "--use-rfc2307", f"--targetdir={root / 'dc'}", f"--host-name={HOSTNAME}"],
         env={**os.environ, "PYTHONHASHSEED": "0"})
    dc = SambaDC(root)
    dc.configure()
    dc.ldbmodify(DC_SPNS)
    return dc


# A Windows DC registers its ldap/ service principals itself; Samba's samba_spnupdate would
# (from the dnsupdate service, which the lab does not run): without them a Kerberos bind gets
# "Server not found in Kerberos database".
DC_SPNS = f"""dn: CN={HOSTNAME.upper()},OU=Domain Controllers,{DOMAIN_DN}
changetype: modify
add: servicePrincipalName
servicePrincipalName: ldap/{DNS_NAME}
servicePrincipalName: ldap/{DNS_NAME}/{DNS_DOMAIN}
servicePrincipalName: ldap/{DNS_NAME}/LAB
servicePrincipalName: ldap/{HOSTNAME.upper()}
-
"""


@dataclass(frozen=True)
class Templates:
    """Stopped DCs to copy from: `plain` (no Exchange schema) and `exchange` (extended)."""

    plain: SambaDC
    exchange: SambaDC


def build_templates(workdir: Path, ip: str | None = None) -> Templates:
    ip = ip or lab_ip(2)
    plain = provision(workdir / "plain")
    plain.ip = ip
    plain.configure()
    exchange = plain.copy_to(workdir / "exchange", ip)
    exchange.start()
    try:
        exchange.extend_schema()
    finally:
        exchange.stop()
    return Templates(plain, exchange)


def load_scenario(name: str) -> dict[str, object]:
    data = yaml.safe_load((SCENARIO_DIR / f"{name}.yml").read_text())
    if not isinstance(data, dict) or "expected_failures" not in data:
        raise LabError(f"scenario {name}: a mapping with expected_failures is required")
    return data


def scenario_names() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yml"))


def start_scenario(templates: Templates, name: str, root: Path, ip: str,
                   anchor: dt.datetime | None = None) -> SambaDC:
    """Copy the right template, seed the scenario's objects offline, start the DC. With an
    `anchor`, a scenario's own schema extension is backdated to it (see `backdate`)."""
    scenario = load_scenario(name)
    custom = scenario.get("exchange")  # its own schema values: extend a plain copy
    extended = scenario.get("exchange_schema", True) and not custom
    dc = (templates.exchange if extended else templates.plain).copy_to(root, ip)
    if isinstance(custom, dict):
        dc.start()
        values = {k: str(v) for k, v in custom.items() if k.isupper()}
        dc.extend_schema(values, objects=not custom.get("skip_objects"))
        dc.stop()
        if anchor is not None:
            backdate(dc, anchor)
    ldif = scenario_ldif(scenario)
    if ldif:
        dc.ldbmodify(ldif)
    dc.start()
    return dc


def backdate(dc: SambaDC, when: dt.datetime) -> None:
    """Set whenCreated/whenChanged of the Exchange schema objects and Exchange containers
    (offline, samba stopped, relax control): the forest was extended at `when`."""
    stamp = when.strftime("%Y%m%d%H%M%S.0Z")
    dns = [f"CN={cn},{SCHEMA_NC}" for cn in _exchange_schema_cns(dc)]
    dns += _exchange_objects(dc)
    ldif = "\n".join(
        f"dn: {dn}\nchangetype: modify\nreplace: whenCreated\nwhenCreated: {stamp}\n-\n"
        f"replace: whenChanged\nwhenChanged: {stamp}\n-\n" for dn in dns)
    if not ldif:
        return
    path = dc.root / "backdate.ldif"
    path.write_text(ldif)
    conf = str(dc.dc / "etc" / "smb.conf")
    sam = str(dc.dc / "private" / "sam.ldb")
    subprocess.run(["ldbmodify", "--configfile", conf, "--controls=relax:0", "-H", sam,
                    str(path)], check=True, capture_output=True, timeout=120)


def _ldbsearch(dc: SambaDC, base: str, expr: str, attr: str = "dn") -> list[str]:
    conf = str(dc.dc / "etc" / "smb.conf")
    sam = str(dc.dc / "private" / "sam.ldb")
    out = subprocess.run(["ldbsearch", "--configfile", conf, "-H", sam, "-b", base, expr, attr],
                         check=True, capture_output=True, text=True, timeout=120).stdout
    prefix = f"{attr}: "
    return [line[len(prefix):] for line in out.splitlines() if line.startswith(prefix)]


def _exchange_schema_cns(dc: SambaDC) -> list[str]:
    dns = _ldbsearch(dc, SCHEMA_NC, "(cn=ms-Exch-*)")
    dns += _ldbsearch(dc, SCHEMA_NC, "(|(lDAPDisplayName=mailNickname)"
                                          "(lDAPDisplayName=targetAddress))")
    return sorted({dn.split(",", 1)[0][3:] for dn in dns})


def _exchange_objects(dc: SambaDC) -> list[str]:
    config = _ldbsearch(dc, CONFIG_NC, "(cn=Microsoft Exchange*)")
    domain = _ldbsearch(dc, DOMAIN_DN, "(cn=Microsoft Exchange System Objects)")
    return config + domain


def scenario_ldif(scenario: Mapping[str, object]) -> str:
    """LDIF for the scenario's `upn_suffixes` and `objects` (DNs relative to the domain)."""
    out: list[str] = []
    suffixes = scenario.get("upn_suffixes") or []
    if suffixes:
        lines = [f"dn: CN=Partitions,{CONFIG_NC}", "changetype: modify", "add: uPNSuffixes"]
        out.append("\n".join([*lines, *(f"uPNSuffixes: {s}" for s in suffixes), "-"]))
    for obj in _expand(scenario.get("objects") or []):
        lines = [f"dn: {obj.pop('dn')},{DOMAIN_DN}", "changetype: add"]
        for attr, value in obj.items():
            values = value if isinstance(value, list) else [value]
            lines += [f"{attr}: {v}" for v in values]
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n" if out else ""


def _expand(objects: object) -> list[dict[str, object]]:
    """`repeat: N` copies an object N times with `%N` in its values replaced by 000..N-1."""
    result: list[dict[str, object]] = []
    for obj in objects if isinstance(objects, list) else []:
        obj = dict(obj)
        count = int(obj.pop("repeat", 0))
        if not count:
            result.append(obj)
            continue
        for n in range(count):
            result.append({k: _fmt(v, n) for k, v in obj.items()})
    return result


def _fmt(value: object, n: int) -> object:
    if isinstance(value, list):
        return [_fmt(v, n) for v in value]
    return str(value).replace("%N", f"{n:03d}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.lab.samba")
    p.add_argument("action", choices=["up", "down"])
    p.add_argument("scenario", nargs="?", default="healthy")
    p.add_argument("--dir", type=Path, required=True)
    p.add_argument("--ip", default=None, help="default: lab_ip(2), 127.<CHECKER_LAB_NET>.0.2")
    args = p.parse_args(argv)
    if args.action == "down":
        SambaDC(args.dir / "run").stop()
        return 0
    ip = args.ip or lab_ip(2)
    templates = build_templates(args.dir / "templates", ip)
    dc = start_scenario(templates, args.scenario, args.dir / "run", ip)
    print(f"url={dc.url} ldaps=ldaps://{dc.ip} ca_file={dc.ca_file} user={ADMIN}")
    print(f"password: LAB_AD_PASSWORD={PASSWORD}  (lab only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

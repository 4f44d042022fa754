"""The whole estate in one lab: a Samba AD DC and the WSMan/PSRP endpoint, one scenario.

    python -m tests.lab up --scenario connector-schema-stale --dir /tmp/lab
    checker apply /tmp/lab/inventory.yml
    python -m tests.lab down --dir /tmp/lab

The Exchange schema extension is backdated (offline, with the relax control) to the lab's
anchor, months before now, and the Connect server's times are written relative to that
same anchor: the estate has a believable history, and nothing lies in the future.

A scenario's `forests:` adds further forests (tests/lab/forests.py), each with a DC of its
own in `domain_controllers`, seeded with a directory scenario of that forest and extended
for Exchange at its own time (`exchange_extended: anchor+30d`). The Connect server then has
one AD connector per forest. A forest's template DCs are built the first time a scenario
needs it, in the same cache folder.
Throwaway credentials live under DIR/credentials; the inventory reads them with
`lookup('file', ...)`, so they are never on a command line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.lab import samba
from tests.lab.forests import LAB, Forest
from tests.lab.net import lab_ip
from tests.lab.psrp.scenario import Clock

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = Path(__file__).parent / "scenarios" / "estate"
PSRP_USER = "LAB\\svc-aadc"
EXCHANGE_USER = "LAB\\svc-exchange"
EXCHANGE_NAME = "ex01.lab.example.com"
ROUTING_DOMAIN = "contoso.mail.onmicrosoft.com"
DC_NAME = "dc01.lab.example.com"  # the lab forest's DC; another forest's is dc01.<its domain>
AADC_NAME = "aadc01.lab.example.com"
ANCHOR_AGE = dt.timedelta(days=120)


def names() -> list[str]:
    return sorted(p.stem for p in SCENARIOS.glob("*.yml"))


def load(name: str) -> dict[str, Any]:
    path = SCENARIOS / f"{name}.yml"
    if not path.is_file():
        raise samba.LabError(f"no estate scenario {name!r} (known: {', '.join(names())})")
    data = yaml.safe_load(path.read_text())
    for key in ("ad", "aadconnect", "expected_failures", "expected_tasks"):
        if key not in data:
            raise samba.LabError(f"estate scenario {name}: {key} is required")
    return dict(data)


def free_ip() -> str:
    """A loopback address with nothing on the fixed LDAP port (Samba cannot change it).
    Estates take lab_ip(100) and up; the LDAP lab fixtures use the addresses below."""
    for n in range(100, 250):
        ip = lab_ip(n)
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex((ip, 389)) != 0:
                return ip
    raise samba.LabError("no free loopback address for another DC")


@dataclass(frozen=True)
class Lab:
    dir: Path

    @property
    def state_file(self) -> Path:
        return self.dir / "lab.json"

    def state(self) -> dict[str, Any]:
        return dict(json.loads(self.state_file.read_text()))

    @property
    def inventory(self) -> Path:
        return self.dir / "inventory.yml"


def templates(cache: Path, forest: Forest = LAB) -> tuple[samba.Templates, dt.datetime]:
    """Stopped template DCs of `forest` (built once per cache folder, the lab forest's in it
    and another forest's in a subfolder) and the anchor their Exchange extension is
    backdated to (the lab forest's, for every forest)."""
    folder = cache if forest == LAB else cache / forest.netbios.lower()
    anchor = None if forest == LAB else templates(cache)[1]
    marker = folder / "anchor.txt"
    if marker.is_file():
        ip = (folder / "ip.txt").read_text().strip()
        t = samba.Templates(samba.SambaDC(folder / "plain", ip, forest=forest),
                            samba.SambaDC(folder / "exchange", ip, forest=forest))
        return t, dt.datetime.fromisoformat(marker.read_text().strip())
    anchor = anchor or (dt.datetime.now(dt.timezone.utc) - ANCHOR_AGE).replace(microsecond=0)
    ip = free_ip()
    t = samba.build_templates(folder, ip, forest)
    samba.backdate(t.exchange, anchor)
    (folder / "ip.txt").write_text(ip)
    marker.write_text(anchor.isoformat())
    return t, anchor


def lab_password() -> str:
    """A throwaway password that never starts with "-" (a tool given it as an argument would
    take it for an option)."""
    return "P" + secrets.token_urlsafe(18) + "!9a"


def start_psrp(lab: Lab, spec: dict[str, Any], anchor: dt.datetime,
               timezone: str | None) -> tuple[int, int]:
    """The Connect server: the scenario's ADSync state, its connector spaces mirroring the
    estate's directory, in the server time zone `timezone` (default: the scenario's)."""
    return start_endpoint(lab, "psrp", [
        "tests.lab.psrp", "serve", "--scenario", spec["aadconnect"], "--user", PSRP_USER,
        "--password-file", str(lab.dir / "credentials" / "psrp.password"),
        "--anchor", anchor.isoformat(), "--directory", spec["ad"],
        *(["--timezone", timezone] if timezone else [])])


def start_exchange(lab: Lab, scenario: str) -> tuple[int, int]:
    return start_endpoint(lab, "exchange", [
        "tests.lab.psrp.exchange", "serve", "--scenario", scenario, "--user", EXCHANGE_USER,
        "--password-file", str(lab.dir / "credentials" / "exchange.password")])


def start_endpoint(lab: Lab, label: str, module_args: list[str]) -> tuple[int, int]:
    """A lab WSMan endpoint (`python -m MODULE serve ...`, NTLM) as a process of its own;
    its state changes go to LABEL-journal.log. Returns (pid, port)."""
    out_file = lab.dir / f"{label}.out"
    env = {**os.environ, "PYTHONPATH": str(ROOT),
           "LAB_PSRP_JOURNAL": str(lab.dir / f"{label}-journal.log")}
    proc = subprocess.Popen(
        [sys.executable, "-m", *module_args, "--port", "0", "--auth", "negotiate"],
        stdout=out_file.open("w"), stderr=subprocess.STDOUT, cwd=ROOT, env=env,
        start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = out_file.read_text()
        if "LISTENING " in text:
            return proc.pid, int(text.split("LISTENING ", 1)[1].split()[0])
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise samba.LabError(f"the {label} endpoint did not start: {out_file.read_text()}")


def up(name: str, folder: Path, cache: Path | None = None, timezone: str | None = None) -> Lab:
    spec = load(name)
    lab = Lab(folder.resolve())
    if lab.state_file.exists():
        raise samba.LabError(f"a lab is already up in {lab.dir}: python -m tests.lab down first")
    lab.dir.mkdir(parents=True, exist_ok=True)
    creds = lab.dir / "credentials"
    creds.mkdir(mode=0o700, exist_ok=True)
    (creds / "ad.password").write_text(samba.PASSWORD)
    (creds / "psrp.password").write_text(lab_password())
    (creds / "exchange.password").write_text(lab_password())
    for f in creds.iterdir():
        f.chmod(0o600)
    cache = cache or lab.dir / "templates"
    anchor = templates(cache)[1]
    dcs: list[samba.SambaDC] = []
    started: list[int] = []
    try:
        for directory in [{"ad": spec["ad"]}, *spec.get("forests", [])]:
            dcs.append(start_dc(cache, directory, anchor))
        pid, port = start_psrp(lab, spec, anchor, timezone or spec.get("timezone"))
        started.append(pid)
        xpid, xport = start_exchange(lab, spec.get("exchange", "healthy"))
    except BaseException:
        for p in started:
            _stop(p)
        for dc in dcs:
            dc.stop()
        raise
    where = [{"ip": dc.ip, "root": str(dc.root), "forest": dc.forest.dns_domain} for dc in dcs]
    state = {"scenario": name, "anchor": anchor.isoformat(), "timezone": timezone,
             "dc": where[0], "dcs": where,
             "psrp": {"pid": pid, "port": port}, "exchange": {"pid": xpid, "port": xport},
             "expected_failures": spec["expected_failures"],
             "expected_tasks": spec["expected_tasks"]}
    lab.state_file.write_text(json.dumps(state, indent=1))
    lab.inventory.write_text(inventory(lab, dcs, port, xport))
    return lab


def start_dc(cache: Path, directory: dict[str, Any], anchor: dt.datetime) -> samba.SambaDC:
    """A DC of the directory scenario's forest, seeded and started on a free address; its
    Exchange extension at `exchange_extended` (a time like anchor+30d) when given."""
    forest = samba.scenario_forest(samba.load_scenario(directory["ad"]))
    t, _ = templates(cache, forest)
    when = directory.get("exchange_extended")
    extended_at = Clock(anchor, anchor).at(when) if when else None
    # Samba's sockets live under the DC folder and Unix socket paths are short (108 bytes):
    # keep the DC in a short folder of its own, whatever DIR is.
    root = Path(tempfile.mkdtemp(prefix="checker-lab-"))
    return samba.start_scenario(t, directory["ad"], root, free_ip(), anchor, extended_at)


def inventory(lab: Lab, dcs: list[samba.SambaDC], port: int, exchange_port: int) -> str:
    creds = lab.dir / "credentials"
    doc = {"all": {"children": {
        "domain_controllers": {"hosts": {dc_name(dc.forest): {
            "ansible_connection": "ldap",
            "ansible_host": dc.ip,
            "checker_ldap_url": f"ldaps://{dc.ip}",
            "checker_ldap_ca_file": str(dc.ca_file),
            "ansible_user": dc.forest.admin,
            "ansible_password": f"{{{{ lookup('file', '{creds / 'ad.password'}') }}}}"}
            for dc in dcs}},
        "aadconnect": {"hosts": {AADC_NAME: _psrp_host(port, PSRP_USER, creds / "psrp.password")}},
        "exchange_servers": {"hosts": {EXCHANGE_NAME: _psrp_host(
            exchange_port, EXCHANGE_USER, creds / "exchange.password",
            ansible_psrp_configuration_name="Microsoft.Exchange", ansible_psrp_path="PowerShell")},
            "vars": {"checker_exchange_routing_domain": ROUTING_DOMAIN}}}}}
    head = f"# The lab estate for scenario {lab.state()['scenario']}: python -m tests.lab up\n"
    return head + yaml.safe_dump(doc, sort_keys=False)


def dc_name(forest: Forest) -> str:
    """The inventory name of a forest's DC: dc01.<its domain>."""
    return f"dc01.{forest.dns_domain}"


def _psrp_host(port: int, user: str, password_file: Path, **extra: str) -> dict[str, Any]:
    """A lab PSRP host: NTLM over http (message encryption), the password read from a file."""
    return {"ansible_connection": "psrp", "ansible_host": "127.0.0.1", "ansible_port": port,
            "ansible_psrp_protocol": "http", "ansible_psrp_auth": "ntlm", **extra,
            "ansible_user": user,
            "ansible_password": f"{{{{ lookup('file', '{password_file}') }}}}"}


def down(folder: Path) -> None:
    lab = Lab(folder.resolve())
    if not lab.state_file.is_file():
        return
    state = lab.state()
    for endpoint in ("psrp", "exchange"):
        if endpoint in state:
            _stop(int(state[endpoint]["pid"]))
    for dc in state.get("dcs", [state["dc"]]):
        samba.SambaDC(Path(dc["root"]), dc["ip"]).stop()
        shutil.rmtree(dc["root"], ignore_errors=True)
    lab.state_file.unlink()


def _stop(pid: int) -> None:
    """End one endpoint process this lab started (by its pid)."""
    try:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.05)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(ChildProcessError):  # reap it if it is our own child
        os.waitpid(pid, os.WNOHANG)
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def refresh_schema(folder: Path) -> str:
    """Play the admin's manual step: the wizard's "Refresh directory schema"."""
    from pypsrp.powershell import PowerShell, RunspacePool
    from pypsrp.wsman import WSMan

    lab = Lab(folder.resolve())
    port = int(lab.state()["psrp"]["port"])
    password = (lab.dir / "credentials" / "psrp.password").read_text()
    wsman = WSMan("127.0.0.1", port=port, ssl=False, auth="ntlm", username=PSRP_USER,
                  password=password, cert_validation=False)
    with RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_script("Invoke-LabDirectorySchemaRefresh")
        out = ps.invoke()
        if ps.had_errors or ps.streams.error:
            raise samba.LabError(f"refresh failed: {ps.streams.error}")
    return " ".join(str(o) for o in out)

"""Fixtures for the PSRP lab: endpoints as subprocesses (NTLM + message encryption, as
production uses it) and in process (basic auth, direct access to counters)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from . import LabServer, make_server

ROOT = Path(__file__).resolve().parents[3]
USER, PASSWORD = "LAB\\svc", "Lab-Pa55w0rd!"
# Real Connect servers are rarely in UTC: each scenario's server gets one of these zones
# (west and east of UTC, with and without daylight saving); no verdict may depend on it.
ZONES = ("America/Los_Angeles", "Asia/Tokyo", "Europe/Berlin", "Pacific/Auckland")


def zone_for(scenario_name: str) -> str:
    return ZONES[sum(map(ord, scenario_name)) % len(ZONES)]


class Endpoint:
    def __init__(self, scenario: str, extra: list[str] | None = None) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.lab.psrp", "serve", "--scenario", scenario,
             "--port", "0", "--auth", "negotiate", "--user", USER, "--password", PASSWORD,
             "--timezone", zone_for(scenario), *(extra or [])],
            stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.startswith("LISTENING "), f"lab endpoint did not start: {line!r}"
        self.port = int(line.split()[1])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture(scope="session")
def endpoint() -> Iterator[Callable[[str], Endpoint]]:
    """endpoint(scenario) -> a running NTLM endpoint, one per scenario per session.
    Tests that change state (Start-ADSyncSyncCycle) use `fresh_endpoint`."""
    running: dict[str, Endpoint] = {}

    def get(scenario: str) -> Endpoint:
        if scenario not in running:
            running[scenario] = Endpoint(scenario)
        return running[scenario]

    yield get
    for ep in running.values():
        ep.stop()


@pytest.fixture
def fresh_endpoint() -> Iterator[Callable[[str], Endpoint]]:
    started: list[Endpoint] = []

    def get(scenario: str) -> Endpoint:
        started.append(Endpoint(scenario))
        return started[-1]

    yield get
    for ep in started:
        ep.stop()


@pytest.fixture
def inprocess() -> Iterator[Callable[..., LabServer]]:
    """inprocess(scenario, **kw) -> a started in-process endpoint (basic auth)."""
    servers: list[LabServer] = []

    def get(scenario: str, **kw: Any) -> LabServer:
        servers.append(make_server(scenario, username=USER, password=PASSWORD, **kw).start())
        return servers[-1]

    yield get
    for srv in servers:
        srv.stop()


def host_vars(port: int, auth: str = "negotiate", password: str = PASSWORD) -> dict[str, Any]:
    hv: dict[str, Any] = {"ansible_host": "127.0.0.1", "ansible_port": port,
                          "ansible_user": USER, "ansible_password": password,
                          "ansible_psrp_auth": auth, "ansible_psrp_protocol": "http",
                          "ansible_connection": "psrp", "ansible_psrp_operation_timeout": 2}
    if auth == "basic":
        hv["ansible_psrp_message_encryption"] = "never"
    return hv


def write_inventory(path: Path, hosts: dict[str, dict[str, Any]], auth: str = "negotiate") -> Path:
    """An inventory with an `aadconnect` group; the password comes from LAB_PSRP_PASSWORD."""
    group_vars: dict[str, Any] = {
        "ansible_connection": "psrp", "ansible_user": USER,
        "ansible_password": "{{ lookup('env', 'LAB_PSRP_PASSWORD') }}",
        "ansible_psrp_auth": auth, "ansible_psrp_protocol": "http",
        "ansible_psrp_operation_timeout": 2}
    if auth == "basic":
        group_vars["ansible_psrp_message_encryption"] = "never"
    inv = {"all": {"children": {"aadconnect": {"hosts": hosts, "vars": group_vars}}}}
    path.write_text(json.dumps(inv))  # JSON is YAML
    return path


def apply(inventory: Path, tmp: Path, *extra: str,
          password: str = PASSWORD) -> tuple[int, dict[str, Any], str]:
    """`checker apply` in a subprocess; returns (exit code, JSON report, stderr+stdout)."""
    report = tmp / "report.json"
    env = {**os.environ, "LAB_PSRP_PASSWORD": password, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "checker", "apply", str(inventory), "-r",
                           str(ROOT / "rules"), "--report", f"json:{report}", *extra],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    data = json.loads(report.read_text()) if report.exists() else {}
    return proc.returncode, data, proc.stdout + proc.stderr

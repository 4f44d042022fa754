"""Faults give `error` on the right facts (exit 2), never pass/fail, never a traceback or the
password; and one runspace pool + one pipeline per host per run."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from checker.collectors.base import collectors, load_all
from checker.errors import CollectError, TransportError
from checker.facts.model import FactKey
from checker.transports.psrp import PsrpTransport

from .conftest import PASSWORD, apply, host_vars, write_inventory

pytestmark = pytest.mark.lab
NO_VERDICT = {"error", "skipped", "blocked"}
ADSYNC = ["adsync.connectors", "adsync.global_settings", "adsync.run_history",
          "adsync.scheduler", "adsync.sync_rules"]


def requests(extra: int = 0) -> dict[FactKey, Any]:
    load_all()
    reqs = {FactKey.of(n): collectors.get(n)().request({}) for n in ADSYNC}
    for i in range(extra):  # more distinct facts: run history with other depths
        key = FactKey.of("adsync.run_history", {"number_requested": 3 + i})
        reqs[key] = collectors.get("adsync.run_history")().request(key.param_dict)
    return reqs


def collect(hv: dict[str, Any], timeout: float = 20) -> dict[FactKey, Any]:
    transport = PsrpTransport("aadc01", hv, timeout=timeout)
    transport.open()
    try:
        return dict(transport.collect(requests()))
    finally:
        transport.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def statuses(report: dict[str, Any]) -> set[str]:
    return {r["status"] for r in report["results"]}


def assert_clean(output: str) -> None:
    assert "Traceback" not in output and PASSWORD not in output


@pytest.mark.parametrize("facts", [1, 5, 12])
def test_one_pool_one_pipeline_per_host(inprocess: Any, facts: int) -> None:
    srv = inprocess("healthy")
    transport = PsrpTransport("aadc01", host_vars(srv.port, auth="basic"), timeout=20)
    transport.open()
    try:
        reqs = dict(list(requests(extra=max(0, facts - 5)).items())[:facts])
        out = dict(transport.collect(reqs))
    finally:
        transport.close()
    assert len(out) == facts and not [v for v in out.values() if isinstance(v, Exception)]
    assert srv.stats()["pools"] == 1 and srv.stats()["pipelines"] == 1


def test_one_pool_one_pipeline_per_host_via_cli(inprocess: Any, tmp_path: Path) -> None:
    servers = [inprocess("healthy"), inprocess("staging-mode")]
    inv = write_inventory(tmp_path / "inv.yml", {
        f"aadc0{i}": {"ansible_host": "127.0.0.1", "ansible_port": s.port}
        for i, s in enumerate(servers)}, auth="basic")
    code, _, output = apply(inv, tmp_path)
    assert code == 1, output  # staging-mode fails AADC-STAGING-MODE
    assert [s.stats()["pools"] for s in servers] == [1, 1]
    assert [s.stats()["pipelines"] for s in servers] == [1, 1]


def test_wrong_password(endpoint: Any, tmp_path: Path) -> None:
    port = endpoint("healthy").port
    with pytest.raises(TransportError) as info:
        collect(host_vars(port, password="wrong-" + PASSWORD))
    assert "authentication failed" in str(info.value) and PASSWORD not in str(info.value)
    inv = write_inventory(tmp_path / "inv.yml",
                          {"aadc01": {"ansible_host": "127.0.0.1", "ansible_port": port}})
    code, report, output = apply(inv, tmp_path, password="wrong-" + PASSWORD)
    assert code == 2 and statuses(report) <= NO_VERDICT and "error" in statuses(report), output
    assert_clean(output)


def test_connection_refused(tmp_path: Path) -> None:
    port = closed_port()
    with pytest.raises(TransportError, match="connection refused"):
        collect(host_vars(port))
    inv = write_inventory(tmp_path / "inv.yml",
                          {"aadc01": {"ansible_host": "127.0.0.1", "ansible_port": port}})
    code, report, output = apply(inv, tmp_path)
    assert code == 2 and "error" in statuses(report) and "pass" not in statuses(report), output
    assert_clean(output)


def test_timeout_mid_pipeline(inprocess: Any, tmp_path: Path) -> None:
    srv = inprocess("fault-timeout")
    out = collect(host_vars(srv.port, auth="basic"), timeout=3)
    assert all(isinstance(v, CollectError) and "timed out" in str(v) for v in out.values())
    inv = write_inventory(tmp_path / "inv.yml", {
        "aadc01": {"ansible_host": "127.0.0.1", "ansible_port": srv.port}}, auth="basic")
    code, report, output = apply(inv, tmp_path, "--timeout", "3")
    assert code == 2 and "pass" not in statuses(report) and "fail" not in statuses(report)
    assert_clean(output)


def test_malformed_json(endpoint: Any, tmp_path: Path) -> None:
    out = collect(host_vars(endpoint("fault-malformed-json").port))
    assert all(isinstance(v, CollectError) and "malformed JSON" in str(v) for v in out.values())
    inv = write_inventory(tmp_path / "inv.yml", {"aadc01": {
        "ansible_host": "127.0.0.1", "ansible_port": endpoint("fault-malformed-json").port}})
    code, report, output = apply(inv, tmp_path)
    assert code == 2 and statuses(report) <= NO_VERDICT and "error" in statuses(report), output


def test_missing_module(endpoint: Any, tmp_path: Path) -> None:
    out = collect(host_vars(endpoint("fault-no-module").port))
    assert set(out) == {FactKey.of(n) for n in ADSYNC}
    for value in out.values():
        assert isinstance(value, CollectError) and "'ADSync' was not loaded" in str(value)
    inv = write_inventory(tmp_path / "inv.yml", {"aadc01": {
        "ansible_host": "127.0.0.1", "ansible_port": endpoint("fault-no-module").port}})
    code, report, output = apply(inv, tmp_path)
    assert code == 2 and statuses(report) <= NO_VERDICT and "error" in statuses(report), output
    assert_clean(output)


def test_module_off_psmodulepath_is_imported_from_its_install_path(inprocess: Any) -> None:
    """Import-Module ADSync by name fails on a fresh install; the path in the ADSync
    service's Parameters key does not."""
    srv = inprocess("fault-module-not-on-path")
    out = collect(host_vars(srv.port, auth="basic"))
    assert not [v for v in out.values() if isinstance(v, Exception)], out
    assert "import-module" in [h.lower() for h in srv.engine.history]


def test_one_failing_snippet_errors_only_its_fact(inprocess: Any) -> None:
    srv = inprocess("healthy")

    @srv.engine.cmdlet("Get-ADSyncRule")
    def broken(inv: Any) -> list[Any]:
        from .values import PSError

        inv.error(PSError("Access is denied.", "UnauthorizedAccess", "PermissionDenied"))
        return []

    out = collect(host_vars(srv.port, auth="basic"))
    bad = {k.collector for k, v in out.items() if isinstance(v, Exception)}
    assert bad == {"adsync.sync_rules"}
    assert "Access is denied" in str(out[FactKey.of("adsync.sync_rules")])


def _import_preludes() -> list[str]:
    """The lines before the first ADSync cmdlet of every shipped remediation script that
    imports ADSync (what --remediate sends first)."""
    from checker.ruleset.loader import load_rules

    found = set()
    for rule in load_rules([str(Path(__file__).parents[3] / "rules")]).rules:
        for task in rule.remediation:
            script = getattr(task, "script", None) or ""
            if "Import-Module" in script and "$adsyncPath" in script:
                found.add("\n".join(line for line in script.splitlines()
                                    if "ADSync" in line and "-ADSync" not in line))
    return sorted(found)


@pytest.mark.parametrize("where", ["install path only", "PSModulePath only"])
def test_remediation_scripts_import_adsync_either_way(inprocess: Any, where: str) -> None:
    """Each remediation script imports ADSync from the service's install path (right after
    an install, the name fails) and, when the service records no path, by name."""
    from pypsrp.powershell import PowerShell, RunspacePool
    from pypsrp.wsman import WSMan

    from .adsync_cmdlets import PARAMETERS_KEY

    preludes = _import_preludes()
    assert len(preludes) >= 1
    srv = inprocess("fault-module-not-on-path" if where == "install path only" else "healthy")
    if where == "PSModulePath only":
        del srv.engine.registry[PARAMETERS_KEY]
    hv = host_vars(srv.port, auth="basic")
    wsman = WSMan("127.0.0.1", port=srv.port, ssl=False, auth="basic", encryption="never",
                  username=hv["ansible_user"], password=hv["ansible_password"])
    for prelude in preludes:
        with RunspacePool(wsman) as pool:
            ps = PowerShell(pool).add_script(prelude + "\n(Get-ADSyncScheduler).SyncCycleEnabled")
            assert ps.invoke() == [True] and not ps.streams.error, \
                [str(e) for e in ps.streams.error]

"""Each scenario through the real transport (NTLM + message encryption) and `checker apply`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from checker.collectors.base import collectors, load_all
from checker.errors import CheckerError, FactUnavailable
from checker.facts.model import FactKey
from checker.transports.psrp import PsrpTransport

from . import scenario
from .conftest import apply, host_vars, write_inventory

pytestmark = pytest.mark.lab
SCENARIOS = [n for n in scenario.names() if not n.startswith("fault-")]


def gather(port: int, **kw: Any) -> dict[str, Any]:
    load_all()
    names = [n for n in collectors.names() if n.startswith("adsync.")]
    requests = {FactKey.of(n): collectors.get(n)().request({}) for n in names}
    transport = PsrpTransport("aadc01", host_vars(port, **kw), timeout=20)
    transport.open()
    try:
        raw = dict(transport.collect(requests))
    finally:
        transport.close()
    return {k.collector: v if isinstance(v, Exception) else _process(k.collector, v)
            for k, v in raw.items()}


def _process(name: str, raw: Any) -> Any:
    try:
        return collectors.get(name)().process(raw, {})
    except CheckerError as e:  # as gather records it: the fact is an error (or unavailable)
        return e


EXPECTED_FACTS = {
    "healthy": lambda f: f["adsync.global_settings"].version == "2.5.79.0"
    and f["adsync.global_settings"].hybrid_exchange,
    "connector-schema-stale": lambda f: "msExchRecipientTypeDetails"
    not in _ad(f).schema.attributes,
    "connector-schema-stale-legacy": lambda f: "msExchRecipientTypeDetails"
    not in _ad(f).schema.attributes and f["adsync.global_settings"].version == "1.1.100.0",
    "no-full-sync-after-refresh": lambda f: not any(
        r.run_profile_name.startswith("Full") and r.end >= _ad(f).schema_refreshed_at
        for r in f["adsync.run_history"]),
    "exchange-sync-rules-missing": lambda f: not any(
        "Exchange" in r.name for r in f["adsync.sync_rules"]),
    "staging-mode": lambda f: f["adsync.scheduler"].staging_mode_enabled
    and f["adsync.global_settings"].staging_mode,
    "scheduler-disabled": lambda f: not f["adsync.scheduler"].sync_cycle_enabled,
    "retired-build": lambda f: f["adsync.global_settings"].version == "1.6.16.0",
    "legacy-build": lambda f: f["adsync.global_settings"].version == "1.1.100.0",
    "cycle-in-progress": lambda f: f["adsync.scheduler"].sync_cycle_in_progress
    and f["adsync.run_history"][0].in_progress and f["adsync.run_history"][0].end is None,
    "two-forests-one-stale": lambda f: [(c.forest, "msExchRecipientTypeDetails" in
                                         c.schema.attributes)
                                        for c in f["adsync.connectors"] if c.type == "AD"]
    == [("lab.example.com", True), ("fabrikam.example.com", False)],
    "full-sync-purged": lambda f: not any(
        r.run_profile_name.startswith("Full") for r in f["adsync.run_history"]),
}
LEGACY = {"legacy-build", "connector-schema-stale-legacy"}  # builds before 1.1.105.0


def _ad(facts: dict[str, Any]) -> Any:
    return next(c for c in facts["adsync.connectors"] if c.type == "AD")


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_facts(endpoint: Any, name: str) -> None:
    facts = gather(endpoint(name).port)
    scheduler = facts.pop("adsync.scheduler")
    assert not [v for v in facts.values() if isinstance(v, Exception)], facts
    ad = _ad(facts)
    assert ad.identifier == "7a3c2d58-1c9e-4a5f-9f0b-3d2e6c1b8a01"
    assert ad.partitions == ["DC=lab,DC=example,DC=com"] and ad.created_at is not None
    assert ad.forest == "lab.example.com" and ad.domains == ["lab.example.com"]
    assert facts["adsync.global_settings"].sync_interval_s == 1800
    if name in LEGACY:  # the cmdlet does not exist on the build: unavailable, not an error
        assert isinstance(scheduler, FactUnavailable) and "1.1.105.0" in str(scheduler)
    else:
        assert scheduler.effective_interval_s == 1800
        assert scheduler.next_sync_cycle_policy_type == "Delta"
        facts["adsync.scheduler"] = scheduler
    runs = facts["adsync.run_history"]
    assert runs == sorted(runs, key=lambda r: r.start, reverse=True)  # newest first
    assert EXPECTED_FACTS[name](facts)


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_rules(endpoint: Any, tmp_path: Path, name: str) -> None:
    inv = write_inventory(tmp_path / "inventory.yml",
                          {"aadc01": {"ansible_host": "127.0.0.1",
                                      "ansible_port": endpoint(name).port}})
    code, report, output = apply(inv, tmp_path)
    failing = sorted(r["rule_id"] for r in report["results"] if r["status"] == "fail")
    errors = [r for r in report["results"] if r["status"] == "error"]
    assert not errors, errors
    assert failing == scenario.expected_failures(name), output
    assert code == (1 if failing else 0)


def test_full_sync_cycle_fixes_no_full_sync(fresh_endpoint: Any, tmp_path: Path) -> None:
    """Start-ADSyncSyncCycle -PolicyType Initial appends full runs, as the real one does."""
    from pypsrp.powershell import PowerShell, RunspacePool
    from pypsrp.wsman import WSMan

    ep = fresh_endpoint("no-full-sync-after-refresh")
    hv = host_vars(ep.port)
    wsman = WSMan("127.0.0.1", port=ep.port, ssl=False, auth="negotiate",
                  username=hv["ansible_user"], password=hv["ansible_password"])
    with RunspacePool(wsman) as pool:
        ps = PowerShell(pool).add_script(
            "Import-Module ADSync; (Start-ADSyncSyncCycle -PolicyType 'Initial').Result")
        assert ps.invoke() == ["Success"] and not ps.streams.error
    inv = write_inventory(tmp_path / "inventory.yml",
                          {"aadc01": {"ansible_host": "127.0.0.1", "ansible_port": ep.port}})
    code, _, output = apply(inv, tmp_path)
    assert code == 0, output


def test_enable_the_scheduler_step_turns_the_sync_cycle_on(fresh_endpoint: Any) -> None:
    """AADC-SCHEDULER-ENABLED's script, as shipped, run on a server whose scheduler is off:
    `Set-ADSyncScheduler -SyncCycleEnabled $true` (a [bool] parameter) turns it back on."""
    import yaml
    from pypsrp.powershell import PowerShell, RunspacePool
    from pypsrp.wsman import WSMan

    rules = yaml.safe_load((Path(__file__).parents[3] / "rules/aadconnect/operations.yml")
                           .read_text())
    rule = next(r for r in rules if r["id"] == "AADC-SCHEDULER-ENABLED")
    script = next(s["script"] for s in rule["remediation"] if s["name"] == "Enable the scheduler")
    assert "Set-ADSyncScheduler -SyncCycleEnabled $true" in script
    ep = fresh_endpoint("scheduler-disabled")
    assert gather(ep.port)["adsync.scheduler"].sync_cycle_enabled is False
    hv = host_vars(ep.port)
    wsman = WSMan("127.0.0.1", port=ep.port, ssl=False, auth="negotiate",
                  username=hv["ansible_user"], password=hv["ansible_password"])
    with RunspacePool(wsman) as pool:
        ps = PowerShell(pool).add_script(script)
        ps.invoke()
        assert not ps.had_errors, [str(e) for e in ps.streams.error]
    assert gather(ep.port)["adsync.scheduler"].sync_cycle_enabled is True

"""The remediation plan files for the demo incident: order, content, and a real
`ansible-playbook --syntax-check` of the playbook."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from checker.redact import Redactor
from checker.remediation.planner import host_plans, rules_for
from checker.remediation.render import render_files, write_remediation
from checker.results import RenderedTask, Result, RunReport, Severity, Status
from checker.runner import Options, prepare, run
from tests.ansible_yaml import load_playbook

ROOT = Path(__file__).parent.parent.parent
DEMO = ROOT / "inventories" / "demo" / "inventory.yml"


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    report, _ = run(prepare(Options(inventory=str(DEMO), rules=[str(ROOT / "rules")],
                                    tags=("incident",))))
    out = tmp_path_factory.mktemp("plan")
    write_remediation(report, out)
    return out


def test_plan_orders_refresh_before_full_sync(plan_dir: Path) -> None:
    md = (plan_dir / "plan.md").read_text()
    assert md.index("Refresh the directory schema") < md.index("Start-ADSyncSyncCycle -PolicyType Initial")
    assert "## aadc01.lab.example.com" in md
    ps1 = (plan_dir / "aadc01.lab.example.com.ps1").read_text()
    assert "SupportsShouldProcess" in ps1 and "$ErrorActionPreference = 'Stop'" in ps1
    assert ps1.index("Confirm-ManualStep 'Refresh the directory schema") < ps1.index("Start-ADSyncSyncCycle")
    assert "# For: AADC-CONNECTOR-SCHEMA-EXCHANGE" in ps1


def test_playbook_targets_inventory_hosts(plan_dir: Path) -> None:
    plays = load_playbook((plan_dir / "playbook.yml").read_text())
    assert [p["hosts"] for p in plays] == ["aadc01.lab.example.com"]
    modules = [next(k for k in t if k.startswith("ansible.")) for t in plays[0]["tasks"]]
    assert modules == ["ansible.builtin.meta", "ansible.builtin.pause", "ansible.builtin.assert",
                       "ansible.windows.win_powershell"]


def test_playbook_passes_ansible_syntax_check(plan_dir: Path) -> None:
    exe = shutil.which("ansible-playbook")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("ansible-playbook is missing: pip install '.[dev]' installs ansible")
        pytest.skip("ansible-playbook is not installed (dev extra)")
    proc = subprocess.run([exe, "--syntax-check", "-i", str(DEMO), str(plan_dir / "playbook.yml")],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "ANSIBLE_NOCOLOR": "1"})
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _failing(rule_id: str, host: str, *names: str) -> Result:
    """A failing row of a shipped rule with the named tasks of its remediation."""
    from checker.ruleset.loader import load_rules

    rule = load_rules([str(ROOT / "rules")]).by_id()[rule_id]
    tasks = tuple(RenderedTask(name=t.name, kind=t.kind, rule_id=rule_id, host=host,
                               script=t.script, steps=t.steps, subsumes=t.subsumes)
                  for t in rule.remediation if t.name in names)
    assert len(tasks) == len(names)
    return Result(rule_id, host, Status.FAIL, Severity.HIGH, rule.title, "failed",
                  remediation=tasks)


def test_full_sync_folds_the_delta_sync_keeping_both_reasons() -> None:
    rows = [_failing("AADC-SYNC-CYCLE-RECENT", "aadc01", "Run a delta synchronization cycle"),
            _failing("AADC-CONNECTOR-SCHEMA-EXCHANGE", "aadc01",
                     "Refresh the directory schema in the Entra Connect wizard",
                     "Run a full synchronization"),
            _failing("AADC-SYNC-CYCLE-RECENT", "aadc02", "Run a delta synchronization cycle")]
    plans = host_plans(rows)
    assert [t.name for t in plans["aadc01"]] == [
        "Refresh the directory schema in the Entra Connect wizard", "Run a full synchronization"]
    assert [t.name for t in plans["aadc02"]] == ["Run a delta synchronization cycle"]
    full = plans["aadc01"][1]
    assert rules_for(full, rows) == ["AADC-SYNC-CYCLE-RECENT", "AADC-CONNECTOR-SCHEMA-EXCHANGE"]
    report = RunReport(dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
                       dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), "inv.yml", tuple(rows))
    files = render_files(report, Redactor(), {})
    assert "PolicyType Delta" not in files["aadc01.ps1"]
    assert "# For: AADC-SYNC-CYCLE-RECENT, AADC-CONNECTOR-SCHEMA-EXCHANGE" in files["aadc01.ps1"]
    assert "PolicyType Delta" in files["aadc02.ps1"]


def test_legacy_full_sync_folds_the_legacy_delta_sync() -> None:
    legacy = "Run a full synchronization after the upgrade"
    rows = [_failing("AADC-CONNECTOR-SCHEMA-EXCHANGE", "old", legacy),
            _failing("AADC-SYNC-CYCLE-RECENT", "old",
                     "Run a delta synchronization cycle after the upgrade")]
    assert [t.name for t in host_plans(rows)["old"]] == [legacy]

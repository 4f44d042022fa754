"""The remediation plan files for the demo incident: order, content, and a real
`ansible-playbook --syntax-check` of the playbook."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from checker.remediation.render import write_remediation
from checker.runner import Options, prepare, run

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
    plays = yaml.safe_load((plan_dir / "playbook.yml").read_text())
    assert [p["hosts"] for p in plays] == ["aadc01.lab.example.com"]
    modules = [next(k for k in t if k != "name") for t in plays[0]["tasks"]]
    assert modules == ["ansible.builtin.pause", "ansible.windows.win_powershell"]


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

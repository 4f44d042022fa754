"""Reports to render: the demo estate run for real, a hostile hand-built one, and a drift."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from checker.facts.model import Provenance
from checker.history.model import Change, DriftItem, DriftReport, RunInfo
from checker.results import Offender, RenderedTask, Result, RunReport, Status, WaiverNote
from checker.ruleset.model import Severity
from checker.runner import Options, prepare, run

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "inventories" / "demo" / "inventory.yml"
T0 = dt.datetime(2026, 11, 27, 2, 0, 0, tzinfo=dt.timezone.utc)
# What a hostile directory could hold in a displayName, a message or a connector name.
HOSTILE = "</script><img src=x onerror=alert(1)> | pipe `tick` [link](http://evil.test)\nline2"


@pytest.fixture(scope="session")
def demo_report() -> RunReport:
    report, _ = run(prepare(Options(inventory=str(DEMO), rules=[str(ROOT / "rules")])))
    return report


def _result(rule: str, host: str, status: Status, severity: str = "high", **extra: Any) -> Result:
    fields = {"title": f"title of {rule}", "message": f"{status.value} on {host}"} | extra
    return Result(rule_id=rule, host=host, status=status, severity=Severity(severity), **fields)


@pytest.fixture()
def hostile_report() -> RunReport:
    prov = Provenance(host="dc01", collector="ad.recipients", transport="ldap",
                      request=f"(mail={HOSTILE})", started_at=T0, duration_s=0.25)
    tasks = (
        RenderedTask(name=f"Fix {HOSTILE}", kind="manual", rule_id="R-ONE", host="dc01",
                     steps=f"Open the console | then {HOSTILE}"),
        RenderedTask(name="Rename", kind="powershell", rule_id="R-ONE", host="dc01",
                     script="Set-ADUser -Identity 'a`b' -Replace @{mail=\"```x\"}\n```\n"),
    )
    results = (
        _result("R-ONE", "dc01", Status.FAIL, "critical", message=HOSTILE, expected=HOSTILE,
                actual={"value": HOSTILE}, remediation=tasks, facts=(prov,),
                counts={"total": 40, "failed": 25, "errors": 1}, failure_pct=62.5,
                offenders=tuple(Offender(object=f"user{i}|{HOSTILE}", message=HOSTILE)
                                for i in range(12))),
        _result("R-TWO", "aadc01", Status.ERROR, message="unreachable: timed out"),
        _result("R-THREE", "dc01", Status.WAIVED, "medium", original_status=Status.FAIL,
                waiver=WaiverNote(index=1, justification=f"accepted | {HOSTILE}",
                                  approver="CISO", ticket="CHG-1234",
                                  expires=dt.date(2027, 1, 31))),
        _result("R-FOUR", "dc01", Status.PASS, "low"),
        _result("R-FIVE", "aadc01", Status.SKIPPED, "info"),
        _result("R-SIX", "aadc01", Status.BLOCKED, "medium"),
    )
    return RunReport(started_at=T0, finished_at=T0 + dt.timedelta(seconds=2.5),
                     inventory="inv.yml", results=results, hosts=("dc01", "aadc01"),
                     warnings=(f"waiver 3 matches nothing {HOSTILE}",))


@pytest.fixture()
def drift_report() -> DriftReport:
    before = RunInfo(id=11, started_at=T0 - dt.timedelta(days=1), inventory="inv.yml",
                     exit_code=0, summary={"pass": 5})
    after = RunInfo(id=12, started_at=T0, inventory="inv.yml", exit_code=1,
                    summary={"pass": 3, "fail": 2})
    items = (
        DriftItem(Change.FIXED, "R-FIXED", "dc01", None, "high", "fail", "pass"),
        DriftItem(Change.NEW_FAIL, "R-NEW", "aadc01", "contoso.test", "critical", None, "fail",
                  message=HOSTILE),
        DriftItem(Change.REGRESSED, "R-REG", "dc01", None, "medium", "pass", "fail",
                  message="was fine yesterday"),
        DriftItem(Change.BECAME_UNREACHABLE, "R-GONE", "aadc01", None, "high", "pass", "error"),
        DriftItem(Change.STILL_FAILING, "R-STILL", "dc01", "user1", "low", "fail", "fail"),
    )
    return DriftReport(before=before, after=after, items=items)

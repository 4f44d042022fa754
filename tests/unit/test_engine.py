"""The evaluator on recorded estates: statuses, per-object thresholds, dependencies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from checker.results import Status
from checker.runner import Options, prepare, run
from tests.estate import fact_row, write_estate, write_rules

SETTINGS = {"version": "2.5.79.0", "hybrid_exchange": True, "parameters": {}}


def rule(**over: Any) -> dict[str, Any]:
    base = {
        "id": "T-RULE",
        "title": "test rule",
        "severity": "high",
        "hosts": "aadconnect",
        "facts": {"adsync": "adsync.global_settings"},
        "expect": [{"key": "adsync.version", "op": "version_ge", "value": "2.0"}],
    }
    return base | over


def apply(tmp: Path, rules: list[dict[str, Any]], value: Any = SETTINGS, **opts: Any):
    facts = [fact_row("adsync.global_settings", value)]
    inv = write_estate(tmp, {"aadc1": {"group": "aadconnect", "facts": facts}})
    prepared = prepare(Options(inventory=str(inv), rules=[str(write_rules(tmp, rules))], **opts))
    report, _ = run(prepared)
    return report



@pytest.mark.parametrize(
    ("bad", "thresholds", "status"),
    [
        (0, {}, Status.PASS),
        (1, {}, Status.FAIL),
        (2, {"max_failures": 2}, Status.PASS),
        (3, {"max_failures": 2}, Status.FAIL),
        (5, {"max_failure_pct": 5.0}, Status.PASS),
        (6, {"max_failure_pct": 5.0}, Status.FAIL),
    ],
)
def test_for_each_thresholds(tmp_path: Path, bad: int, thresholds: dict, status: Status) -> None:
    r = rule(
        for_each="{{ range(100) | list }}",
        object="user{{ item }}",
        max_offenders=3,
        expect=[{"that": f"item >= {bad}", "msg": "user{{ item }} is bad"}],
        **thresholds,
    )
    row = apply(tmp_path, [r]).results[0]
    assert row.status is status
    assert row.counts == {"total": 100, "failed": bad, "errors": 0}
    assert len(row.offenders) == min(bad, 3)
    assert len(row.failed_objects) == bad
    if bad:
        assert row.offenders[0].object == "user0"


def test_when_false_is_skipped_and_type_mismatch_is_error(tmp_path: Path) -> None:
    rules = [
        rule(id="T-SKIP", when="adsync.hybrid_exchange == false"),
        rule(id="T-TYPE", expect=[{"key": "adsync.version", "op": "contains", "value": 1}]),
        rule(id="T-UNDEF", expect=[{"that": "adsync.no_such_field == 1"}]),
    ]
    got = {r.rule_id: r for r in apply(tmp_path, rules).results}
    assert got["T-SKIP"].status is Status.SKIPPED
    assert got["T-TYPE"].status is Status.ERROR
    assert got["T-UNDEF"].status is Status.ERROR
    assert "no_such_field" in got["T-UNDEF"].message


def test_dependency_failure_blocks_and_exit_codes(tmp_path: Path) -> None:
    rules = [
        rule(id="T-BASE", severity="low",
             expect=[{"key": "adsync.version", "op": "version_ge", "value": "9.0"}]),
        rule(id="T-DEP", depends_on=["T-BASE"]),
    ]
    report = apply(tmp_path, rules)
    got = {r.rule_id: r.status for r in report.results}
    assert got == {"T-BASE": Status.FAIL, "T-DEP": Status.BLOCKED}
    assert report.exit_code == 1
    from checker.ruleset.model import Severity

    gated = apply(tmp_path, rules, fail_on=Severity.HIGH)
    assert gated.exit_code == 0  # a low-severity fail does not fail a high gate


def test_remediation_is_version_aware(tmp_path: Path) -> None:
    tasks = [
        {"name": "full sync", "kind": "powershell", "script": "Start-ADSyncSyncCycle -PolicyType Initial",
         "when": "adsync.version is version('1.1.105.0', '>=')"},
        {"name": "legacy full sync", "kind": "powershell", "script": "DirectorySyncClientCmd.exe Initial",
         "when": "adsync.version is version('1.1.105.0', '<')"},
    ]
    r = rule(expect=[{"that": "false"}], remediation=tasks)
    new = apply(tmp_path, [r]).results[0]
    old = apply(tmp_path, [r], value={**SETTINGS, "version": "1.1.100.0"}).results[0]
    assert [t.name for t in new.remediation] == ["full sync"]
    assert [t.name for t in old.remediation] == ["legacy full sync"]


def test_false_when_skips_before_an_unneeded_fact_errors(tmp_path: Path) -> None:
    """A build without Get-ADSyncScheduler: its scheduler fact is an error (or unavailable),
    yet a rule whose `when` rules the build out is skipped, not an error row. A `when` that
    needs the broken fact still reports its error."""
    old = {**SETTINGS, "version": "1.1.100.0"}
    facts = [fact_row("adsync.global_settings", old),
             fact_row("adsync.scheduler", None, "error", "Get-ADSyncScheduler is not recognized")]
    inv = write_estate(tmp_path, {"aadc1": {"group": "aadconnect", "facts": facts}})
    uses = {"adsync": "adsync.global_settings", "scheduler": "adsync.scheduler"}
    rules = [
        rule(id="T-OLD", facts=uses, when="adsync.version is version('1.1.105.0', '>=')",
             expect=[{"key": "scheduler.sync_cycle_enabled", "op": "eq", "value": True}]),
        rule(id="T-NEEDS", facts=uses, when="scheduler.sync_cycle_enabled",
             expect=[{"that": "true"}]),
        rule(id="T-TRUE", facts=uses, when="adsync.version is version('1.0', '>=')",
             expect=[{"that": "true"}]),
    ]
    prepared = prepare(Options(inventory=str(inv), rules=[str(write_rules(tmp_path, rules))]))
    got = {r.rule_id: r for r in run(prepared)[0].results}
    assert got["T-OLD"].status is Status.SKIPPED and "not applicable" in got["T-OLD"].message
    assert got["T-NEEDS"].status is Status.ERROR and "not recognized" in got["T-NEEDS"].message
    assert got["T-TRUE"].status is Status.ERROR

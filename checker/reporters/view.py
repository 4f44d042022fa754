"""The report as plain data for the reporters people read (markdown, html).

It starts from `report_json` / `drift_json`, so every field has one source, and adds what a
reader needs that the JSON contract does not carry: the verdict, waiver notes, every rule a
remediation task serves, and a reading order. The data is scrubbed of secrets *before* any
escaping: a secret that contains `<` or `|` would no longer match once escaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from checker.facts.records import parse_datetime
from checker.history.model import Change, DriftReport
from checker.redact import Redactor
from checker.remediation.planner import host_plans, rules_for
from checker.reporters.json_report import drift_json, report_json, task_json
from checker.results import RunReport, WaiverNote

STATUS_ORDER = ("fail", "error", "blocked", "waived", "skipped", "pass")
SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")
VERDICTS = {0: "passed", 1: "failed", 2: "error"}
# Worse first: the nightly reader wants what broke before what got fixed.
CHANGE_ORDER = (
    Change.NEW_FAIL, Change.REGRESSED, Change.WAIVER_EXPIRED, Change.BECAME_UNREACHABLE,
    Change.NEW_HOST, Change.STILL_FAILING, Change.FIXED, Change.GONE,
)
CHANGE_TITLES = {
    Change.NEW_FAIL: "New failures",
    Change.REGRESSED: "Regressed",
    Change.WAIVER_EXPIRED: "Waiver expired",
    Change.BECAME_UNREACHABLE: "Became unreachable",
    Change.NEW_HOST: "New hosts",
    Change.STILL_FAILING: "Still failing",
    Change.FIXED: "Fixed",
    Change.GONE: "No longer evaluated",
}


def verdict(exit_code: int) -> str:
    return VERDICTS.get(exit_code, "invalid")


def when(value: str | dt.datetime | None) -> str:
    """`2026-11-27 11:45:05 UTC` from an ISO string or a datetime."""
    if value is None:
        return ""
    moment = parse_datetime(value) if isinstance(value, str) else value
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def seconds(value: float | None) -> str:
    if value is None:
        return ""
    if value < 0.001:
        return f"{value * 1e6:.0f} µs"
    if value < 1:
        return f"{value * 1e3:.1f} ms"
    return f"{value:.2f} s"


def waiver_json(note: WaiverNote | None) -> dict[str, Any] | None:
    if note is None:
        return None
    return {
        "index": note.index,
        "justification": note.justification,
        "approver": note.approver,
        "ticket": note.ticket,
        "expires": note.expires.isoformat() if note.expires else None,
        "objects": list(note.objects),
    }


def _row_key(row: Mapping[str, Any]) -> tuple[int, int]:
    return STATUS_ORDER.index(row["status"]), SEVERITY_ORDER.index(row["severity"])


def run_view(report: RunReport, redactor: Redactor) -> dict[str, Any]:
    """`report_json` plus `verdict`, `rules`, per-row `waiver`, per-task `rules`; scrubbed."""
    doc = report_json(report)
    for row, result in zip(doc["results"], report.results, strict=True):
        row["waiver"] = waiver_json(result.waiver)
    doc["results"] = sorted(doc["results"], key=_row_key)  # stable: report order within
    doc["remediation_plan"] = {
        host: [task_json(t) | {"rules": rules_for(t, report.results)} for t in tasks]
        for host, tasks in host_plans(report.results).items()
    }
    doc["verdict"] = verdict(report.exit_code)
    doc["rules"] = len({r.rule_id for r in report.results})
    doc["hosts"] = _hosts(doc["hosts"], doc["results"])
    return dict(redactor.scrub(doc))


def drift_view(drift: DriftReport, redactor: Redactor) -> dict[str, Any]:
    """`drift_json` plus `groups`: [{change, title, worse, items}] in CHANGE_ORDER; scrubbed."""
    doc = drift_json(drift)
    doc["groups"] = [
        {
            "change": change.value,
            "title": CHANGE_TITLES[change],
            "items": [i for i in doc["items"] if i["change"] == change.value],
        }
        for change in CHANGE_ORDER
        if doc["summary"][change.value]
    ]
    doc["verdict"] = "worse" if drift.exit_code else "no regressions"
    doc["hosts"] = _hosts([], doc["items"])
    return dict(redactor.scrub(doc))


def _hosts(declared: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> list[str]:
    hosts = list(declared)
    hosts += sorted({r["host"] for r in rows} - set(hosts))
    return hosts

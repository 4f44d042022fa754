"""The stable JSON report (the gate contract).

`{"summary": {"pass", "fail", "error", "skipped", "blocked", "waived", "exit_code"},
  "results": [{"rule_id", "host", "status", "severity", "message", "expected", "actual",
               "remediation": [{"name", "kind", "script" | "steps"}], ...}]}`
"""

from __future__ import annotations

import json
from typing import Any

from checker import __version__
from checker.facts.records import to_json
from checker.history.model import DriftItem, DriftReport, RunInfo
from checker.remediation.planner import host_plans
from checker.reporters.base import Reporter, reporters
from checker.results import RenderedTask, Result, RunReport


def task_json(task: RenderedTask) -> dict[str, Any]:
    body: dict[str, Any] = {"steps": task.steps} if task.kind == "manual" \
        else {"script": task.script}
    if task.cmdlet:  # kind cmdlet: what --remediate sends as a command, and its command line
        body.update(cmdlet=task.cmdlet, parameters=dict(task.parameters))
    return {"name": task.name, "kind": task.kind, **body}


def result_json(r: Result) -> dict[str, Any]:
    row: dict[str, Any] = {
        "rule_id": r.rule_id,
        "host": r.host,
        "status": r.status.value,
        "severity": r.severity.value,
        "title": r.title,
        "message": r.message,
        "expected": to_json(r.expected),
        "actual": to_json(r.actual),
        "remediation": [task_json(t) for t in r.remediation],
        "object": r.object,
        "tags": list(r.tags),
        "rule_version": r.rule_version,
        "source": r.source,
        "facts": [to_json(p) for p in r.facts],
    }
    if r.counts is not None:
        row["counts"] = dict(r.counts)
        row["failure_pct"] = r.failure_pct
        row["offenders"] = [to_json(o) for o in r.offenders]
        row["failed_objects"] = list(r.failed_objects)
    if r.original_status is not None:
        row["original_status"] = r.original_status.value
    if r.notes:
        row["notes"] = list(r.notes)
    return row


def report_json(report: RunReport) -> dict[str, Any]:
    summary: dict[str, Any] = dict(report.counts())
    summary["exit_code"] = report.exit_code
    return {
        "checker_version": __version__,
        "inventory": report.inventory,
        "started_at": to_json(report.started_at),
        "finished_at": to_json(report.finished_at),
        "duration_s": round(report.duration_s, 3),
        "fail_on": report.fail_on.value,
        "hosts": list(report.hosts),
        "summary": summary,
        "results": [result_json(r) for r in report.results],
        "remediation_plan": {
            host: [task_json(t) | {"rule_id": t.rule_id} for t in tasks]
            for host, tasks in host_plans(report.results).items()
        },
        "warnings": list(report.warnings),
        # set by --remediate (tasks run, before/after)
        **{k: report.extra[k] for k in ("remediation",) if k in report.extra},
    }


def run_info_json(info: RunInfo | None) -> dict[str, Any] | None:
    if info is None:
        return None
    return {
        "id": info.id,
        "started_at": to_json(info.started_at),
        "inventory": info.inventory,
        "estate": info.estate,
        "node": info.node,
        "exit_code": info.exit_code,
        "summary": dict(info.summary),
    }


def drift_item_json(item: DriftItem) -> dict[str, Any]:
    return {
        "change": item.change.value,
        "worse": item.worse,
        "rule_id": item.rule_id,
        "host": item.host,
        "object": item.object,
        "severity": item.severity,
        "before": item.before,
        "after": item.after,
        "message": item.message,
    }


def drift_json(drift: DriftReport) -> dict[str, Any]:
    """`{"before": run | null, "after": run, "summary": {change: n, "worse", "exit_code"},
    "items": [{"change", "worse", "rule_id", "host", "object", "severity", "before", "after",
    "message"}]}`; a run is `{"id", "started_at", "inventory", "estate", "node", "exit_code",
    "summary"}`."""
    summary: dict[str, Any] = dict(drift.counts())
    summary["worse"] = len(drift.worse)
    summary["exit_code"] = drift.exit_code
    return {
        "checker_version": __version__,
        "before": run_info_json(drift.before),
        "after": run_info_json(drift.after),
        "summary": summary,
        "items": [drift_item_json(i) for i in drift.items],
    }


@reporters.register("json")
class JsonReporter(Reporter):
    def render(self, report: RunReport) -> str:
        doc = self.redactor.scrub(report_json(report))
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"

    def render_drift(self, drift: DriftReport) -> str:
        doc = self.redactor.scrub(drift_json(drift))
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"

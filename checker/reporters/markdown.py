"""Markdown: a summary for a ticket or a pull-request comment.

Verdict and exit code first, then the counts, the rows that need someone (fail, error,
blocked), capped offenders per object, the remediation plan per host with PowerShell in
fenced blocks, waived rows with their justification, and warnings. Every value that comes
from the estate is escaped, by the same helpers as plan.md (`checker.remediation.text`): AD
attributes are not trusted text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from checker.history.model import DriftReport
from checker.remediation.plan_md import task_lines
from checker.remediation.text import md_cell, md_code, md_inline
from checker.reporters.base import Reporter, reporters
from checker.reporters.view import STATUS_ORDER, drift_view, run_view, seconds, when
from checker.results import RunReport

OFFENDER_CAP = 10
NEEDS_ATTENTION = ("fail", "error", "blocked")
ICONS = {"passed": "✅", "failed": "❌", "error": "⚠️", "worse": "❌", "no regressions": "✅"}
def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _headline(doc: Mapping[str, Any]) -> str:
    exit_code = doc["summary"]["exit_code"]
    icon = ICONS.get(doc["verdict"], "")
    meta = [
        f"inventory {md_code(doc['inventory'])}",
        _plural(len(doc["hosts"]), "host"),
        _plural(doc["rules"], "rule"),
        _plural(len(doc["results"]), "result"),
        f"started {when(doc['started_at'])}",
        seconds(doc["duration_s"]),
        f"fail-on {doc['fail_on']}",
        f"checker {doc['checker_version']}",
    ]
    head = f"## {icon} checker: {doc['verdict'].upper()} (exit code {exit_code})"
    return head + "\n\n" + " · ".join(meta)


def _counts(summary: Mapping[str, Any]) -> str:
    return table(list(STATUS_ORDER), [[str(summary[s]) for s in STATUS_ORDER]])


def _target(row: Mapping[str, Any]) -> str:
    host = md_code(row["host"])
    return f"{host} · {md_code(row['object'])}" if row.get("object") else host


def _problems(rows: Sequence[Mapping[str, Any]]) -> str:
    wanted = [r for r in rows if r["status"] in NEEDS_ATTENTION]
    if not wanted:
        return ""
    body = [
        [f"**{r['status']}**", r["severity"], md_code(r["rule_id"]), _target(r),
         md_cell(r["message"])]
        for r in wanted
    ]
    heading = f"### Needs attention ({len(wanted)})\n\n"
    return heading + table(["Status", "Severity", "Rule", "Host", "Message"], body)


def _offenders(rows: Sequence[Mapping[str, Any]]) -> str:
    parts = [_offender_block(r) for r in rows if r["status"] in NEEDS_ATTENTION]
    parts = [p for p in parts if p]
    return "### Objects\n\n" + "\n\n".join(parts) if parts else ""


def _offender_block(row: Mapping[str, Any]) -> str:
    offenders = row.get("offenders") or []
    if not offenders:
        return ""
    c = row["counts"]
    head = (f"**{md_inline(row['rule_id'])}** on {md_code(row['host'])}: "
            f"{c['failed']} of {c['total']} "
            f"objects failed ({row['failure_pct']}%), {c['errors']} could not be evaluated")
    lines = [f"- {md_code(o['object'])}: {md_inline(o['message'])}"
             for o in offenders[:OFFENDER_CAP]]
    hidden = c["failed"] + c["errors"] - len(lines)
    if hidden > 0:
        lines.append(f"- … and {hidden} more (see the JSON report)")
    return head + "\n\n" + "\n".join(lines)


def _plan(plan: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    if not plan:
        return ""
    parts = ["### Remediation plan (in order, per host)"]
    for host, tasks in plan.items():
        parts.append(f"#### {md_inline(host)}")
        parts += ["\n".join(_task(i, t)).rstrip() for i, t in enumerate(tasks, 1)]
    return "\n\n".join(parts)


def _task(n: int, task: Mapping[str, Any]) -> list[str]:
    """As plan.md writes it; a `cmdlet` task shows its command line."""
    script = None if task["kind"] == "manual" else task.get("script") or ""
    return task_lines(n, task["name"], task["kind"], task["rules"], script,
                      task.get("steps") or "")


def _waived(rows: Sequence[Mapping[str, Any]]) -> str:
    waived = [r for r in rows if r["status"] == "waived" or r.get("waiver")]
    if not waived:
        return ""
    body = [_waiver_row(r, r.get("waiver") or {}) for r in waived]
    headers = ["Rule", "Host", "Status", "Justification", "Approver", "Ticket", "Expires"]
    return f"### Waived ({len(waived)})\n\n" + table(headers, body)


def _waiver_row(row: Mapping[str, Any], w: Mapping[str, Any]) -> list[str]:
    status = row.get("original_status") or row["status"]
    return [md_code(row["rule_id"]), _target(row), f"{row['status']} ({status})",
            *(md_cell(w.get(k)) for k in ("justification", "approver", "ticket", "expires"))]


def _warnings(warnings: Sequence[str]) -> str:
    if not warnings:
        return ""
    return "### Warnings\n\n" + "\n".join(f"- {md_inline(w)}" for w in warnings)


@reporters.register("markdown")
class MarkdownReporter(Reporter):
    def render(self, report: RunReport) -> str:
        doc = run_view(report, self.redactor)
        rows = doc["results"]
        parts = [_headline(doc), _counts(doc["summary"]), _problems(rows), _offenders(rows),
                 _plan(doc["remediation_plan"]), _waived(rows), _warnings(doc["warnings"])]
        return "\n\n".join(p for p in parts if p) + "\n"

    def render_drift(self, drift: DriftReport) -> str:
        doc = drift_view(drift, self.redactor)
        parts = [_drift_headline(doc)]
        counts = [(g["title"], str(len(g["items"]))) for g in doc["groups"]]
        if counts:
            parts.append(table([t for t, _ in counts], [[n for _, n in counts]]))
        else:
            parts.append("No change since the previous run.")
        parts += [_drift_group(g) for g in doc["groups"]]
        return "\n\n".join(parts) + "\n"


def _run_line(label: str, run: Mapping[str, Any] | None) -> str:
    if run is None:
        return f"{label}: none (first stored run)"
    return f"{label}: run #{run['id']}, {when(run['started_at'])}, exit code {run['exit_code']}"


def _drift_headline(doc: Mapping[str, Any]) -> str:
    s = doc["summary"]
    icon = ICONS[doc["verdict"]]
    head = f"## {icon} checker drift: {_plural(s['worse'], 'change')} for the worse"
    head += f" (exit code {s['exit_code']})"
    lines = [f"estate {md_code(doc['after']['estate'] or doc['after']['inventory'])}",
             _run_line("before", doc["before"]),
             _run_line("after", doc["after"])]
    return head + "\n\n" + " · ".join(lines)


def _drift_group(group: Mapping[str, Any]) -> str:
    rows = [
        [md_code(i["rule_id"]), _target(i), i["severity"],
         f"{i['before'] or '—'} → {i['after'] or '—'}", md_cell(i["message"])]
        for i in group["items"]
    ]
    heading = f"### {group['title']} ({len(rows)})\n\n"
    return heading + table(["Rule", "Host", "Severity", "Status", "Message"], rows)

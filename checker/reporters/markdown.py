"""Markdown: a summary for a ticket or a pull-request comment.

Verdict and exit code first, then the counts, the rows that need someone (fail, error,
blocked), capped offenders per object, the remediation plan per host with PowerShell in
fenced blocks, waived rows with their justification, and warnings. Every value that comes
from the estate is escaped: AD attributes are not trusted text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from checker.history.model import DriftReport
from checker.reporters.base import Reporter, reporters
from checker.reporters.view import STATUS_ORDER, drift_view, run_view, seconds, when
from checker.results import RunReport

OFFENDER_CAP = 10
NEEDS_ATTENTION = ("fail", "error", "blocked")
ICONS = {"passed": "✅", "failed": "❌", "error": "⚠️", "worse": "❌", "no regressions": "✅"}
# Links, HTML, code spans, emphasis by `*`, table pipes; `_` and `>` stay readable in the raw
# text (intraword `_` is literal in CommonMark; a leading `>` or `#` is escaped below).
_PUNCT = re.compile(r"([\\`*\[\]<|])")
_LEADING = re.compile(r"^([>#+-]|\d+[.)])")
_LINE_END = re.compile(r"\r\n|\r|\n")  # CommonMark's line endings: a lone CR is one too


def _lines(value: Any) -> list[str]:
    return _LINE_END.split(str(value))


def text(value: Any) -> str:
    """Inline text: Markdown punctuation backslash-escaped, lines joined."""
    if value is None:
        return ""
    return _LEADING.sub(r"\\\1", _PUNCT.sub(r"\\\1", " ".join(_lines(value))))


def cell(value: Any) -> str:
    """A table cell: like `text`, but a newline becomes `<br>` so the row stays one line."""
    if value is None or value == "":
        return ""
    lines = _lines(str(value).strip("\r\n"))
    return "<br>".join(_PUNCT.sub(r"\\\1", line) for line in lines)


def code(value: Any) -> str:
    """An inline code span that survives backticks and pipes in the value."""
    body = " ".join(_lines(value)).replace("|", "\\|")
    ticks = "`" * (max((len(m) for m in re.findall("`+", body)), default=0) + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{ticks}{pad}{body}{pad}{ticks}"


def fence(body: str, lang: str) -> str:
    """A fenced block longer than any backtick run inside (PowerShell escapes with `)."""
    ticks = "`" * max(3, max((len(m) for m in re.findall("`+", body)), default=0) + 1)
    return f"{ticks}{lang}\n{body.rstrip()}\n{ticks}"


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
        f"inventory {code(doc['inventory'])}",
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
    host = code(row["host"])
    return f"{host} · {code(row['object'])}" if row.get("object") else host


def _problems(rows: Sequence[Mapping[str, Any]]) -> str:
    wanted = [r for r in rows if r["status"] in NEEDS_ATTENTION]
    if not wanted:
        return ""
    body = [
        [f"**{r['status']}**", r["severity"], code(r["rule_id"]), _target(r), cell(r["message"])]
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
    head = (f"**{text(row['rule_id'])}** on {code(row['host'])}: {c['failed']} of {c['total']} "
            f"objects failed ({row['failure_pct']}%), {c['errors']} could not be evaluated")
    lines = [f"- {code(o['object'])}: {text(o['message'])}" for o in offenders[:OFFENDER_CAP]]
    hidden = c["failed"] + c["errors"] - len(lines)
    if hidden > 0:
        lines.append(f"- … and {hidden} more (see the JSON report)")
    return head + "\n\n" + "\n".join(lines)


def _plan(plan: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    if not plan:
        return ""
    parts = ["### Remediation plan (in order, per host)"]
    for host, tasks in plan.items():
        parts.append(f"#### {text(host)}")
        parts += [_task(i, t) for i, t in enumerate(tasks, 1)]
    return "\n\n".join(parts)


def _task(n: int, task: Mapping[str, Any]) -> str:
    kind = "PowerShell" if task["kind"] == "powershell" else task["kind"]
    rules = ", ".join(code(r) for r in task["rules"])
    head = f"**{n}. {text(task['name'])}** ({kind}; for {rules})"
    if task["kind"] == "powershell":
        return head + "\n\n" + fence(task.get("script") or "", "powershell")
    return head + "\n\n" + text(task.get("steps") or "")


def _waived(rows: Sequence[Mapping[str, Any]]) -> str:
    waived = [r for r in rows if r["status"] == "waived" or r.get("waiver")]
    if not waived:
        return ""
    body = [_waiver_row(r, r.get("waiver") or {}) for r in waived]
    headers = ["Rule", "Host", "Status", "Justification", "Approver", "Ticket", "Expires"]
    return f"### Waived ({len(waived)})\n\n" + table(headers, body)


def _waiver_row(row: Mapping[str, Any], w: Mapping[str, Any]) -> list[str]:
    status = row.get("original_status") or row["status"]
    return [code(row["rule_id"]), _target(row), f"{row['status']} ({status})",
            cell(w.get("justification")), cell(w.get("approver")), cell(w.get("ticket")),
            cell(w.get("expires"))]


def _warnings(warnings: Sequence[str]) -> str:
    if not warnings:
        return ""
    return "### Warnings\n\n" + "\n".join(f"- {text(w)}" for w in warnings)


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
    lines = [f"estate {code(doc['after']['estate'] or doc['after']['inventory'])}",
             _run_line("before", doc["before"]),
             _run_line("after", doc["after"])]
    return head + "\n\n" + " · ".join(lines)


def _drift_group(group: Mapping[str, Any]) -> str:
    rows = [
        [code(i["rule_id"]), _target(i), i["severity"],
         f"{i['before'] or '—'} → {i['after'] or '—'}", cell(i["message"])]
        for i in group["items"]
    ]
    heading = f"### {group['title']} ({len(rows)})\n\n"
    return heading + table(["Rule", "Host", "Severity", "Status", "Message"], rows)

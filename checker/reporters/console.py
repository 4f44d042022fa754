"""Console: a summary table, the failing rows with their remediation, and the totals."""

from __future__ import annotations

import textwrap

from checker.history.model import Change, DriftItem, DriftReport, RunInfo
from checker.remediation.planner import host_plans, rules_for
from checker.reporters.base import Reporter, reporters
from checker.reporters.terminal import cleaned, one_line, plain
from checker.reporters.view import CHANGE_ORDER, CHANGE_TITLES
from checker.results import Result, RunReport, Status

_COLORS = {
    Status.PASS: "32",
    Status.FAIL: "31;1",
    Status.ERROR: "35;1",
    Status.SKIPPED: "90",
    Status.BLOCKED: "33",
    Status.WAIVED: "36",
}
ORDER = [Status.FAIL, Status.ERROR, Status.BLOCKED, Status.WAIVED, Status.SKIPPED, Status.PASS]


@reporters.register("console")
class ConsoleReporter(Reporter):
    default_to_stdout = True

    def paint(self, status: Status, text: str) -> str:
        return f"\033[{_COLORS[status]}m{text}\033[0m" if self.color else text

    def text(self, value: str) -> str:
        """A string from the report as the terminal will show it: secrets masked first (a
        secret with a control character in it must not leak with the character removed)."""
        return plain(self.redactor.text(value))

    def render(self, report: RunReport) -> str:
        report = cleaned(report, self.text)
        out = [self._header(report), "", *self._table(report.results), ""]
        problems = [r for r in report.results if r.status in (Status.FAIL, Status.ERROR)]
        if problems:
            out += ["Problems", "--------"]
            for r in sorted(problems, key=lambda r: (ORDER.index(r.status), -r.severity.rank)):
                out += self._detail(r)
        plans = host_plans(report.results)
        if plans:
            title = "Remediation plan (in order, per host)"
            out += [title, "-" * len(title)]
            for host, tasks in plans.items():
                out.append(f"{host}:")
                for i, t in enumerate(tasks, 1):
                    out += _task_lines(i, t.kind, t.name, t.script or t.steps or "",
                                       rules_for(t, report.results))
            out.append("")
        out += [*(f"warning: {w}" for w in report.warnings), self._totals(report)]
        return _joined(out)

    def render_drift(self, drift: DriftReport) -> str:
        drift = cleaned(drift, self.text)
        out = [f"checker drift: {_run(drift.before)} -> {_run(drift.after)}",
               f"estate: {drift.after.estate or drift.after.inventory}", ""]
        for change in CHANGE_ORDER:
            items = [i for i in drift.items if i.change is change]
            if items:
                out += [f"{CHANGE_TITLES[change]} ({len(items)})", *map(self._drift_row, items), ""]
        if drift.before is None:  # several estates may share the history: say which one
            out += ["No earlier run of this estate: nothing to compare yet.", ""]
        elif not drift.items:
            out += ["No change since the previous run.", ""]
        counts = drift.counts()
        parts = [f"{counts[c.value]} {c.value}" for c in CHANGE_ORDER if counts[c.value]]
        out.append(f"Drift: {', '.join(parts) or 'nothing changed'}; {len(drift.worse)} for the "
                   f"worse. Exit code {drift.exit_code}.")
        return _joined(out)

    def _drift_row(self, item: DriftItem) -> str:
        target = f"{item.host} / {item.object}" if item.object else item.host
        mark = "!" if item.worse else " "
        move = f"{item.before or '-'} -> {item.after or '-'}"
        if self.color and item.change in (Change.FIXED, Change.NEW_FAIL, Change.REGRESSED):
            move = self.paint(Status.PASS if item.change is Change.FIXED else Status.FAIL, move)
        why = textwrap.shorten(item.message, 70, placeholder="...")
        return f" {mark} {item.rule_id}  {target}  [{item.severity}]  {move}  {why}".rstrip()

    def _header(self, report: RunReport) -> str:
        rules = len({r.rule_id for r in report.results})
        return (
            f"checker: {report.inventory}: {len(report.hosts)} host(s), {rules} rule(s), "
            f"{len(report.results)} result(s) in {report.duration_s:.2f}s"
        )

    def _table(self, results: tuple[Result, ...]) -> list[str]:
        if not results:
            return ["(no rule applied to the selected hosts)"]
        w_rule = max(len("RULE"), *(len(r.rule_id) for r in results))
        w_host = max(len("HOST"), *(len(r.host) for r in results))
        lines = [f"{'RULE':<{w_rule}}  {'HOST':<{w_host}}  {'STATUS':<8} {'SEVERITY':<9} DETAIL"]
        for r in results:
            status = self.paint(r.status, f"{r.status.value:<8}")
            detail = textwrap.shorten(r.message, 70, placeholder="...")
            sev = f"{r.severity.value:<9}"
            lines.append(f"{r.rule_id:<{w_rule}}  {r.host:<{w_host}}  {status} {sev} {detail}")
        return lines

    def _detail(self, r: Result) -> list[str]:
        lines = [
            f"{self.paint(r.status, r.status.value.upper())} {r.rule_id} on {r.host} "
            f"[{r.severity.value}] {r.title}"
        ]
        if r.counts:
            c = r.counts
            lines.append(f"    {c['failed']} of {c['total']} objects failed ({r.failure_pct}%), "
                         f"{c['errors']} could not be evaluated")
            for o in r.offenders:
                lines += _wrap(f"- {o.object}: {o.message}", "      ", "        ")
            hidden = c["failed"] + c["errors"] - len(r.offenders)
            if hidden > 0:
                lines.append(f"      ... and {hidden} more (see the json report)")
        else:
            lines += _wrap(r.message, "    ", "    ")
        if r.remediation:
            names = "; ".join(f"{i}. {t.name}" for i, t in enumerate(r.remediation, 1))
            lines += _wrap(f"remediation: {names}", "    ", "      ")
        lines += [f"    note: {n}" for n in r.notes]
        return [*lines, ""]

    def _totals(self, report: RunReport) -> str:
        counts = report.counts()
        parts = [f"{counts[s.value]} {s.value}" for s in reversed(ORDER) if counts[s.value]]
        return f"Summary: {', '.join(parts) or 'nothing ran'}. Exit code {report.exit_code}."


def _joined(out: list[str]) -> str:
    """One terminal line per entry: a host, object, task name or warning holding a line break
    stays on its row (a script's lines are entries of their own)."""
    return "".join(one_line(entry) + "\n" for entry in out)


def _run(info: RunInfo | None) -> str:
    if info is None:
        return "(no earlier run)"
    return f"run #{info.id} ({info.started_at:%Y-%m-%d %H:%M}, exit {info.exit_code})"


def _wrap(text: str, first: str, rest: str) -> list[str]:
    return textwrap.wrap(text, 100, initial_indent=first, subsequent_indent=rest) or [first]


def _task_lines(n: int, kind: str, name: str, body: str, rules: list[str]) -> list[str]:
    """A planned task, with every failing rule it is for (as plan.md and the reports say)."""
    why = f"  (rule{'s' if len(rules) > 1 else ''} {', '.join(rules)})" if rules else ""
    lines = [f"  {n}. [{kind}] {name}{why}"]
    if kind != "manual":  # scripts and cmdlet lines as written: they are meant to be copied
        return lines + [f"       {line}" for line in body.splitlines()]
    return lines + _wrap(body, "       ", "       ")

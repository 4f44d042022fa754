"""Opt-in remediation (--remediate): run the `powershell` tasks of failing rules on their
hosts, then re-gather and re-check the affected rules. Manual tasks are listed as pending.

Nothing here runs without an explicit confirmation (or --yes).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from checker.errors import CheckerError
from checker.redact import Redactor
from checker.remediation.kinds import kind_of
from checker.remediation.text import lines as text_lines
from checker.remediation.text import one_line
from checker.results import RenderedTask, Result, RunReport, Status
from checker.ruleset.model import RuleSet
from checker.runner import Prepared, prepare, run
from checker.transports.base import Transport, get_transport


@dataclass(frozen=True)
class TaskRun:
    task: RenderedTask
    status: str  # "done" | "failed" | "pending" (manual) | "not run" (an earlier task failed)
    output: str = ""
    duration_s: float = 0.0


def describe_tasks(plans: dict[str, list[RenderedTask]], redactor: Redactor) -> str:
    """The --remediate listing: what will run and what stays manual, secrets masked and every
    value on its own lines (a name with a line break cannot fake a listing line)."""
    lines = []
    for host, tasks in plans.items():
        lines.append(f"{one_line(host)}:")
        for i, t in enumerate(tasks, 1):
            kind = kind_of(t)
            what = "will run" if kind.runs else "manual, not run (pending)"
            lines.append(f"  {i}. [{what}] {one_line(t.name)}")
            if kind.runs:
                lines += [f"       {line}" for line in text_lines(kind.sent(t))]
    return redactor.text("\n".join(lines))


def execute(prepared: Prepared, plans: dict[str, list[RenderedTask]]) -> list[TaskRun]:
    """Run each host's powershell tasks in order; a failed task stops that host's list."""
    runs: list[TaskRun] = []
    hosts = prepared.inventory.hosts
    for host, tasks in plans.items():
        h = hosts[host]
        cls = get_transport(h.connection)
        if not cls.runs_scripts:
            note = (f"the {h.connection} connection cannot run PowerShell: run it from "
                    "plan.md or the host's .ps1 (--remediation-out)")
            runs += [TaskRun(t, "pending", note if kind_of(t).runs else "") for t in tasks]
            continue
        transport = cls(host, h.vars, prepared.options.timeout)
        try:
            transport.open()
        except CheckerError as e:
            runs += [TaskRun(t, "failed" if kind_of(t).runs else "pending", str(e))
                     for t in tasks]
            continue
        stopped = False
        try:
            for t in tasks:
                runs.append(_one(transport, t, stopped))
                stopped = stopped or runs[-1].status == "failed"
        finally:
            transport.close()
    return [replace(r, output=prepared.redactor.text(r.output)) for r in runs]


def _one(transport: Transport, task: RenderedTask, stopped: bool) -> TaskRun:
    kind = kind_of(task)
    if not kind.runs:
        return TaskRun(task, "pending")
    if stopped:
        return TaskRun(task, "not run", "an earlier task on this host failed")
    t0 = time.monotonic()
    try:
        out = kind.run(transport, task)
    except CheckerError as e:
        return TaskRun(task, "failed", str(e), time.monotonic() - t0)
    return TaskRun(task, "done", out, time.monotonic() - t0)


def affected_rules(ruleset: RuleSet, before: Sequence[Result]) -> list[str]:
    """Rules that failed, and every rule that depends on them (transitively)."""
    chosen = {r.rule_id for r in before if r.status is Status.FAIL}
    grew = True
    while grew:
        grew = False
        for rule in ruleset.rules:
            if rule.id not in chosen and set(rule.depends_on) & chosen:
                chosen.add(rule.id)
                grew = True
    return [r.id for r in ruleset.ordered() if r.id in chosen]


def recheck(prepared: Prepared, rule_ids: Sequence[str]) -> RunReport:
    """Gather again and evaluate the affected rules (with their dependencies, so that
    blocking still works)."""
    by_id = prepared.ruleset.by_id()
    needed = set(rule_ids)
    stack = list(rule_ids)
    while stack:
        for dep in by_id[stack.pop()].depends_on:
            if dep in by_id and dep not in needed:
                needed.add(dep)
                stack.append(dep)
    opts = replace(prepared.options, rule_ids=sorted(needed), tags=(), skip_tags=(),
                   save_facts=None, from_facts=None, history=None)
    after, _ = run(prepare(opts))
    return after


def merge(before: RunReport, after: RunReport) -> RunReport:
    """The before report with the re-checked rows replaced by their new results."""
    fresh = {(r.rule_id, r.host): r for r in after.results}
    rows = tuple(fresh.get((r.rule_id, r.host), r) for r in before.results)
    return replace(before, results=rows, finished_at=after.finished_at)


def confirm_interactively(prompt: Callable[[str], str] = input) -> bool:
    try:
        answer = prompt("Run these tasks now? Type 'yes' to continue: ")
    except EOFError:
        return False
    return answer.strip().lower() == "yes"

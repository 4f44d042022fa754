"""The --remediate flow on the console: show, confirm, run, re-check, before and after."""

from __future__ import annotations

import sys
from dataclasses import replace

from checker.facts.records import to_json
from checker.remediation.execute import (
    affected_rules,
    confirm_interactively,
    describe_tasks,
    execute,
    merge,
    recheck,
)
from checker.remediation.kinds import kind_of
from checker.remediation.planner import host_plans
from checker.remediation.text import lines, one_line
from checker.reporters.console import ConsoleReporter
from checker.results import RunReport
from checker.runner import Prepared


def remediate(prepared: Prepared, before: RunReport, yes: bool, color: bool) -> RunReport:
    console = ConsoleReporter(prepared.redactor, color=color)
    console.write(before, None)
    plans = host_plans(before.results)
    runnable = any(kind_of(t).runs for tasks in plans.values() for t in tasks)
    say = print
    mask = prepared.redactor.text
    if not runnable:
        say("Remediation: no powershell task to run.")
        return before
    say("Remediation tasks (powershell and cmdlet tasks run; manual tasks stay pending):")
    say(describe_tasks(plans, prepared.redactor))
    if not yes and not confirm_interactively():
        say("Not confirmed: nothing was run.")
        return before
    runs = execute(prepared, plans)
    say("\nRemediation results:")
    for r in runs:
        head = f"  [{r.status}] {one_line(r.task.host)}: {one_line(r.task.name)}"
        say(mask(head + (f" ({r.duration_s:.1f}s)" if r.duration_s else "")))
        for line in lines(r.output)[:20]:
            say(mask(f"      {line}"))
    affected = affected_rules(prepared.ruleset, before.results)
    after = recheck(prepared, affected)
    merged = merge(before, after)
    say("\nBefore and after (affected rules):")
    old = {(r.rule_id, r.host): r.status.value for r in before.results}
    width = max((len(r.rule_id) for r in after.results), default=0)
    for row in after.results:
        if row.rule_id in affected:
            was = old.get((row.rule_id, row.host), "-")
            say(mask(f"  {row.rule_id:{width}} {one_line(row.host):24} {was:>8} -> "
                     f"{row.status.value}"))
    say("")
    console.write(merged, None)
    sys.stdout.flush()
    record = {
        "tasks": [{"host": r.task.host, "name": r.task.name, "kind": r.task.kind,
                   "status": r.status, "output": r.output, "duration_s": round(r.duration_s, 3)}
                  for r in runs],
        "before": {f"{r.rule_id}@{r.host}": r.status.value for r in before.results},
        "after_started_at": to_json(after.started_at),
    }
    return replace(merged, extra={**merged.extra, "remediation": record})

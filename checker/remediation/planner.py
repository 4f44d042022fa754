"""Order, deduplicate and fold remediation tasks per host.

Results arrive in rule dependency order, and each rule's tasks in their declared order, so
the first time a task appears is where it belongs: a schema refresh that two rules ask
for is done once, before the full synchronization that both also ask for.

A task may name tasks it `subsumes` (a full sync makes a delta sync unnecessary): on a
host where both are planned, the subsumed one is folded into it, and the rules that asked
for it are listed as reasons of the task that remains.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from checker.results import RenderedTask, Result, Status

# A host's planned tasks, each with the rules it is for (what every renderer takes).
Steps = Sequence[tuple[RenderedTask, Sequence[str]]]


def host_plans(results: Iterable[Result]) -> dict[str, list[RenderedTask]]:
    plans: dict[str, dict[tuple[str, str, str], RenderedTask]] = {}
    for row in results:
        if row.status is not Status.FAIL:
            continue
        tasks = plans.setdefault(row.host, {})
        for task in row.remediation:
            tasks.setdefault((task.kind, task.name, task.script or task.steps or ""), task)
    return {host: fold(list(tasks.values())) for host, tasks in plans.items()}


def fold(tasks: Sequence[RenderedTask]) -> list[RenderedTask]:
    """Drop every task that a task kept on the same host subsumes (a cycle keeps the first)."""
    kept: list[RenderedTask] = []
    for task in tasks:
        if any(task.name in k.subsumes for k in kept):
            continue
        kept = [k for k in kept if k.name not in task.subsumes]
        kept.append(task)
    return kept


def rules_for(task: RenderedTask, results: Iterable[Result]) -> list[str]:
    """Every failing rule on the task's host that asks for this task, or for one it folded."""
    return list(dict.fromkeys(
        r.rule_id
        for r in results
        if r.host == task.host
        and r.status is Status.FAIL
        and any(t.identity() == task.identity() or t.name in task.subsumes
                for t in r.remediation)
    ))

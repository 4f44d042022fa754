"""Order and deduplicate remediation tasks per host.

Results arrive in rule dependency order, and each rule's tasks in their declared order, so
the first time a task appears is where it belongs: a schema refresh that two rules ask
for is done once, before the full synchronization that both also ask for.
"""

from __future__ import annotations

from collections.abc import Iterable

from checker.results import RenderedTask, Result, Status


def host_plans(results: Iterable[Result]) -> dict[str, list[RenderedTask]]:
    plans: dict[str, dict[tuple[str, str, str], RenderedTask]] = {}
    for row in results:
        if row.status is not Status.FAIL:
            continue
        tasks = plans.setdefault(row.host, {})
        for task in row.remediation:
            tasks.setdefault((task.kind, task.name, task.script or task.steps or ""), task)
    return {host: list(tasks.values()) for host, tasks in plans.items()}


def rules_for(task: RenderedTask, results: Iterable[Result]) -> list[str]:
    """Every failing rule on the task's host that asks for this task."""
    return [
        r.rule_id
        for r in results
        if r.host == task.host
        and r.status is Status.FAIL
        and any(t.identity() == task.identity() for t in r.remediation)
    ]

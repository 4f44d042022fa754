"""plan.md: the remediation plan as numbered steps per host, for a person to follow.

Every value (host, task name, rule ids, steps, inventory path) is escaped for Markdown and
HTML; scripts sit in fenced blocks longer than any backtick run they contain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from checker.remediation.kinds import body
from checker.remediation.planner import Steps
from checker.remediation.text import md_fence, md_inline, md_lines
from checker.results import RenderedTask


def plan_markdown(plans: Mapping[str, Steps], inventory: str, stamp: str,
                  scripts: Mapping[str, str]) -> str:
    """`plans` pairs each host's tasks with their rules; `scripts` names each host's .ps1."""
    lines = ["# Remediation plan", "", f"From {md_inline(inventory)}, run of {md_inline(stamp)}. "
             "Do the steps of each host in order; review every script before running it.", ""]
    if not plans:
        return "\n".join([*lines, "Nothing to do: no rule failed.", ""])
    for host, tasks in plans.items():
        lines += [f"## {md_inline(host)}", ""]
        for i, (task, rules) in enumerate(tasks, 1):
            lines += _task(i, task, rules)
        lines += [f"Script: {md_inline(scripts[host])} (supports -WhatIf).", ""]
    return "\n".join(lines)


def _task(i: int, task: RenderedTask, rules: Sequence[str]) -> list[str]:
    return task_lines(i, task.name, task.kind, rules, *body(task))


def task_lines(i: int, name: str, kind: str, rules: Sequence[str], script: str | None,
               steps: str) -> list[str]:
    """One numbered step: its name, kind and rules, then the script in a fence or the
    steps as paragraph lines (the markdown report's plan is written with it too)."""
    head = f"{i}. **{md_inline(name)}** ({md_inline(kind)}; for {md_inline(', '.join(rules))})"
    body = md_lines(steps) if script is None else md_fence(script, "powershell")
    return [head, "", *(f"   {line}" if line else "" for line in body), ""]

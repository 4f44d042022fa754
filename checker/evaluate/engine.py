"""Evaluate every rule on every target host. Pure: facts in, result rows out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from checker import thresholds
from checker.errors import ExpressionError
from checker.evaluate.checks import Verdict, run_checks
from checker.evaluate.context import FactStore, resolve_facts
from checker.facts.records import to_json
from checker.inventory.model import Host, Inventory
from checker.lang.expressions import evaluate as evaluate_expr
from checker.lang.expressions import names_used, render, render_script
from checker.lang.sandbox import TimeLimitExceeded, tick, time_limit
from checker.results import Offender, RenderedTask, Result, Status
from checker.ruleset.model import Rule, RuleSet
from checker.wire.ps_quote import command_line

BLOCKING = (Status.FAIL, Status.ERROR, Status.BLOCKED)
RULE_TIME_LIMIT_S = 120.0  # one rule on one host, every object and expression included


@dataclass(frozen=True)
class Scope:
    """What to evaluate: the inventory, the hosts under test (after --limit), the time."""

    inventory: Inventory
    hosts: Sequence[str]
    now: dt.datetime


Waive = Callable[[Result, Rule], Result]


def evaluate(
    ruleset: RuleSet, scope: Scope, facts: FactStore, waive: Waive | None = None
) -> list[Result]:
    """Rows in dependency order. Waivers apply as rows are made, so a waived prerequisite
    does not block its dependents."""
    rows: list[Result] = []
    by_rule: dict[str, list[Result]] = {}
    for rule in ruleset.ordered():
        targets = [h for h in scope.inventory.select(rule.hosts) if h.name in scope.hosts]
        for host in targets:
            row = evaluate_one(rule, host, scope, facts, by_rule)
            if waive is not None:
                row = waive(row, rule)
            rows.append(row)
            by_rule.setdefault(rule.id, []).append(row)
    return rows


def evaluate_one(
    rule: Rule, host: Host, scope: Scope, facts: FactStore, done: Mapping[str, list[Result]]
) -> Result:
    rule = thresholds.for_host(rule, host.vars)  # the estate's own limits, if it sets any
    base = _Row(rule, host.name)
    try:
        with time_limit(RULE_TIME_LIMIT_S):
            return _evaluate_one(rule, host, scope, facts, done, base)
    except TimeLimitExceeded as e:
        base.extra = {}
        return base.make(Status.ERROR, f"cannot evaluate: {e}")


def _evaluate_one(
    rule: Rule, host: Host, scope: Scope, facts: FactStore, done: Mapping[str, list[Result]],
    base: _Row,
) -> Result:
    blockers = _blockers(rule, host.name, done)
    if blockers:
        return base.make(Status.BLOCKED, f"blocked by {', '.join(blockers)}")
    resolved = resolve_facts(rule, host, scope.inventory, facts, scope.now)
    base.facts = tuple(resolved.used)
    ctx = resolved.context
    if resolved.error or resolved.unavailable:
        if _when_false(rule, ctx):  # not applicable whatever the missing fact would say
            return base.make(Status.SKIPPED, _not_applicable(rule, ctx))
        if resolved.error:
            return base.make(Status.ERROR, resolved.error)
        return base.make(Status.SKIPPED, str(resolved.unavailable))
    try:
        if rule.when and not _per_item_when(rule) and not evaluate_expr(rule.when, ctx):
            return base.make(Status.SKIPPED, _not_applicable(rule, ctx))
        if rule.for_each:
            return _per_object(rule, ctx, scope.now, base)
        verdict = run_checks(rule.expect, ctx, scope.now)
    except ExpressionError as e:
        return base.make(Status.ERROR, f"cannot evaluate: {e}")
    if verdict.passed:
        return base.make(Status.PASS, verdict.message, verdict.expected, verdict.actual)
    tasks, notes = _tasks(rule, host.name, [ctx])
    return base.make(Status.FAIL, verdict.message, verdict.expected, verdict.actual, tasks, notes)


def _not_applicable(rule: Rule, ctx: Mapping[str, Any]) -> str:
    if rule.when_msg:
        try:
            return f"not applicable: {render(rule.when_msg, ctx)}"
        except TimeLimitExceeded:
            raise
        except ExpressionError as e:
            return f"not applicable: when {rule.when!r} is false ({e})"
    return f"not applicable: when {rule.when!r} is false"


def _per_item_when(rule: Rule) -> bool:
    """With for_each, a `when` that reads `item` is decided per object (as Ansible decides a
    looped task's `when` per item)."""
    return bool(rule.for_each and rule.when and "item" in names_used(rule.when))


def _when_false(rule: Rule, ctx: Mapping[str, Any]) -> bool:
    """`when` is false on the facts that did resolve. If it needs a fact that is missing, it
    cannot say (ExpressionError: undefined) and the missing fact's reason stands."""
    if not rule.when or _per_item_when(rule):
        return False
    try:
        return not evaluate_expr(rule.when, dict(ctx))
    except TimeLimitExceeded:
        raise
    except ExpressionError:
        return False


class _Row:
    def __init__(self, rule: Rule, host: str) -> None:
        self.rule, self.host = rule, host
        self.facts: tuple[Any, ...] = ()
        self.extra: dict[str, Any] = {}
        self.notes: tuple[str, ...] = ()  # said on every row made (objects skipped)

    def make(
        self,
        status: Status,
        message: str,
        expected: Any = None,
        actual: Any = None,
        tasks: tuple[RenderedTask, ...] = (),
        notes: tuple[str, ...] = (),
    ) -> Result:
        r = self.rule
        return Result(
            rule_id=r.id,
            host=self.host,
            status=status,
            severity=r.severity,
            title=r.title,
            message=message,
            expected=expected,
            actual=actual,
            remediation=tasks,
            facts=self.facts,
            tags=r.tags,
            rule_version=r.version,
            source=str(r.source),
            notes=(*self.notes, *notes),
            **self.extra,
        )


def _blockers(rule: Rule, host: str, done: Mapping[str, list[Result]]) -> list[str]:
    """Dependencies that did not pass: rows on the same host if any, else on any host."""
    out = []
    for dep in rule.depends_on:
        rows = done.get(dep, [])
        same = [r for r in rows if r.host == host]
        relevant = same or rows
        bad = [r for r in relevant if r.status in BLOCKING]
        if bad:
            out.append(f"{dep} ({bad[0].status.value} on {bad[0].host})")
    return out


@dataclass
class _Tally:
    """What a for_each pass found: failures (with their contexts), errors, skipped objects."""

    total: int = 0
    errors: int = 0
    offenders: list[Offender] = field(default_factory=list)
    failed: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _per_object(rule: Rule, ctx: dict[str, Any], now: dt.datetime, base: _Row) -> Result:
    items = render(rule.for_each, ctx) if rule.for_each else []
    if not isinstance(items, Iterable) or isinstance(items, (str, bytes, Mapping)):
        raise ExpressionError(f"for_each must give a list, got {type(items).__name__}")
    tally = _Tally()
    octx = dict(ctx)  # one context reused for every object; copied only for failures
    for item in items:
        octx["item"] = item
        _one_object(rule, octx, now, tally)
    return _object_verdict(rule, tally, base)


def _one_object(rule: Rule, octx: dict[str, Any], now: dt.datetime, tally: _Tally) -> None:
    try:
        tick()
        if _per_item_when(rule) and not evaluate_expr(str(rule.when), octx):
            tally.skipped.append(f"{_object_name(rule, octx)}: {_not_applicable(rule, octx)}")
            return
        tally.total += 1
        verdict: Verdict = run_checks(rule.expect, octx, now)
    except TimeLimitExceeded:
        raise
    except ExpressionError as e:
        tally.errors += 1
        tally.offenders.append(Offender(_object_name(rule, octx), f"cannot evaluate: {e}",
                                        error=True))
        return
    if not verdict.passed:  # objects are named only when they fail: names cost
        name = _object_name(rule, octx)
        tally.failed.append((name, dict(octx)))
        if len(tally.offenders) < rule.max_offenders:
            tally.offenders.append(Offender(name, verdict.message, verdict.actual))


def _object_verdict(rule: Rule, tally: _Tally, base: _Row) -> Result:
    total, errors, offenders = tally.total, tally.errors, tally.offenders
    failed = len(tally.failed)
    pct = round(100.0 * failed / total, 3) if total else 0.0
    counts = {"total": total, "failed": failed, "errors": errors}
    base.extra = {
        "counts": counts | ({"skipped": len(tally.skipped)} if tally.skipped else {}),
        "failure_pct": pct,
        "offenders": tuple(offenders[: max(rule.max_offenders, 0) + errors]),
        "failed_objects": tuple(name for name, _ in tally.failed),
    }
    base.notes = tuple(tally.skipped)
    if tally.skipped and not total and not errors:
        return base.make(Status.SKIPPED, "; ".join(tally.skipped))
    summary = f"{failed} of {total} objects failed ({pct}%)"
    if over_threshold(rule, failed, pct):
        # per-object tasks in object-name order: the plan reads the same whatever order
        # the directory returned the objects in
        ordered = [c for _, c in sorted(tally.failed, key=lambda pair: pair[0])]
        tasks, notes = _tasks(rule, base.host, ordered)
        first = offenders[0] if offenders else None
        detail = f"; first: {first.object}: {first.message}" if first else ""
        return base.make(Status.FAIL, summary + detail, _threshold(rule), failed, tasks, notes)
    if errors:
        return base.make(Status.ERROR, f"{errors} of {total} objects could not be evaluated")
    return base.make(Status.PASS, summary + " (within threshold)", _threshold(rule), failed)


def over_threshold(rule: Rule, failed: int, pct: float) -> bool:
    if rule.max_failure_pct is not None and rule.max_failures is None:
        return pct > rule.max_failure_pct
    over = failed > (rule.max_failures or 0)
    if rule.max_failure_pct is not None:
        over = over and pct > rule.max_failure_pct
    return over


def _threshold(rule: Rule) -> str:
    parts = [f"failures <= {rule.max_failures or 0}"]
    if rule.max_failure_pct is not None:
        parts = [f"failure % <= {rule.max_failure_pct}"] if rule.max_failures is None else [
            *parts,
            f"or failure % <= {rule.max_failure_pct}",
        ]
    return " ".join(parts)


def _object_name(rule: Rule, ctx: Mapping[str, Any]) -> str:
    item = ctx["item"]
    if rule.object:
        try:
            return str(render(rule.object, ctx))
        except ExpressionError as e:
            return f"<object name error: {e}>"
    for attr in ("name", "dn", "identifier"):
        value = item.get(attr) if isinstance(item, Mapping) else getattr(item, attr, None)
        if value:
            return str(value)
    return str(to_json(item))[:80]


def _tasks(
    rule: Rule, host: str, contexts: Sequence[Mapping[str, Any]]
) -> tuple[tuple[RenderedTask, ...], tuple[str, ...]]:
    """Tasks in rule order, rendered per failing context, deduplicated."""
    out: dict[tuple[str, str, str, str], RenderedTask] = {}
    notes: list[str] = []
    for task in rule.remediation:
        for ctx in contexts:
            try:
                if task.when and not evaluate_expr(task.when, ctx):
                    continue
                rendered = RenderedTask(
                    name=str(render(task.name, ctx)),
                    kind=task.kind,
                    rule_id=rule.id,
                    host=host,
                    script=render_script(task.script, ctx) if task.script else None,
                    steps=str(render(task.steps, ctx)) if task.steps else None,
                    subsumes=task.subsumes,
                )
                if task.cmdlet:
                    rendered = _with_cmdlet(rendered, task.cmdlet, task.parameters or {}, ctx)
            except ExpressionError as e:
                notes.append(f"remediation {task.name!r} could not be rendered: {e}")
                continue
            out.setdefault(rendered.identity(), rendered)
    return tuple(out.values()), tuple(dict.fromkeys(notes))


def _with_cmdlet(task: RenderedTask, name: str, parameters: Mapping[str, Any],
                 ctx: Mapping[str, Any]) -> RenderedTask:
    """A cmdlet task: each parameter rendered to its native value (a string that is one
    `{{ expression }}` keeps the expression's type), and its command line for the plan."""
    values = {k: render(v, ctx) if isinstance(v, str) else v for k, v in parameters.items()}
    try:
        line = command_line(name, values)
    except (TypeError, ValueError) as e:
        raise ExpressionError(f"cmdlet {name}: {e}") from None
    return replace(task, cmdlet=name, parameters=tuple(values.items()), script=line)

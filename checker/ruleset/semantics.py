"""Semantic checks after the schema: duplicate ids, unknown or cyclic depends_on, templates."""

from __future__ import annotations

from checker.errors import CheckerError, ExpressionError, RuleError
from checker.lang.expressions import problems as template_problems
from checker.lang.operators import OPERATORS
from checker.lang.scripts import misplaced_values
from checker.ruleset.model import Rule

RESERVED_NAMES = ("item", "host", "vars", "now")


def semantic_problems(rules: list[Rule]) -> list[CheckerError]:
    out: list[CheckerError] = []
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            first = seen[rule.id].source
            out.append(_err(rule, f"duplicate rule id {rule.id} (first defined at {first})"))
        seen.setdefault(rule.id, rule)
    for rule in rules:
        out += [
            _err(rule, f"depends_on: unknown rule {d}") for d in rule.depends_on if d not in seen
        ]
        out += [
            _err(rule, f"fact name {f.name!r} is reserved")
            for f in rule.facts
            if f.name in RESERVED_NAMES
        ]
        out += [_err(rule, f"{label}: {m}", label) for label, m in _template_problems(rule)]
        out += [_err(rule, f"fact {f.name}: `all` needs `from`", f"facts.{f.name}")
                for f in rule.facts if f.all_hosts and not f.from_pattern]
        out += _value_problems(rule)
        out += _script_problems(rule)
    out += _cycles(rules, seen)
    return out


def _err(rule: Rule, message: str, path: str = "") -> RuleError:
    line = rule.line_of(path) if path else rule.source.line
    return RuleError(f"rule {rule.id}: {message}", rule.source.file, line)


def _value_problems(rule: Rule) -> list[CheckerError]:
    """Each literal operator value checked against the operator's value schema and parsed
    as the check will use it (a regex compiled, a version or a duration read), so a bad one
    is found now rather than as an `error` row."""
    out: list[CheckerError] = []
    for i, c in enumerate(rule.expect):
        op = OPERATORS.get(c.op or "")
        if op is None:
            continue
        try:
            op.check_value(c.value)
        except ExpressionError as e:
            out.append(_err(rule, f"expect[{i}].value: op {op.name}: {e}", f"expect[{i}].value"))
    return out


def _script_problems(rule: Rule) -> list[CheckerError]:
    """A `{{ value }}` inside a string or block comment of a script's own text."""
    out: list[CheckerError] = []
    for i, task in enumerate(rule.remediation):
        path = f"remediation[{i}].script"
        for line, message in misplaced_values(task.script or ""):
            # a multi-line script is a block scalar (`script: |`): its text starts below the key
            at = rule.line_of(path) + (line if "\n" in (task.script or "") else 0)
            out.append(RuleError(f"rule {rule.id}: {path}: {message}", rule.source.file, at))
    return out


def _template_problems(rule: Rule) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []

    def check(label: str, text: str | None, expression: bool) -> None:
        if text:
            found.extend((label, p) for p in template_problems(text, expression))

    check("when", rule.when, True)
    check("when_msg", rule.when_msg, False)
    check("for_each", rule.for_each, False)
    check("object", rule.object, False)
    for i, c in enumerate(rule.expect):
        check(f"expect[{i}].that", c.that, True)
        check(f"expect[{i}].msg", c.msg, False)
        if isinstance(c.value, str):
            check(f"expect[{i}].value", c.value, False)
    for i, t in enumerate(rule.remediation):
        check(f"remediation[{i}].when", t.when, True)
        check(f"remediation[{i}].script", t.script, False)
        check(f"remediation[{i}].steps", t.steps, False)
        for name, value in (t.parameters or {}).items():
            if isinstance(value, str):
                check(f"remediation[{i}].parameters.{name}", value, False)
    return found


def _cycles(rules: list[Rule], by_id: dict[str, Rule]) -> list[CheckerError]:
    state: dict[str, int] = {}
    out: list[CheckerError] = []

    def visit(rule: Rule, path: list[str]) -> None:
        state[rule.id] = 1
        for dep in rule.depends_on:
            if dep not in by_id:
                continue
            if state.get(dep) == 1:
                cycle = " -> ".join([*path, rule.id, dep][[*path, rule.id].index(dep) :])
                out.append(_err(rule, f"depends_on cycle: {cycle}", "depends_on"))
            elif dep not in state:
                visit(by_id[dep], [*path, rule.id])
        state[rule.id] = 2

    for rule in rules:
        if rule.id not in state:
            visit(rule, [])
    return out

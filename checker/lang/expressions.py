"""Sandboxed Jinja for rule expressions (`that:`, `when:`, `for_each:`) and templates.

A string that is one `{{ expression }}` evaluates to its native value (a list stays a list);
any other string renders as text. StrictUndefined: an undefined name is an error, never
an empty string. Validation rejects access to `_`-prefixed attributes before anything runs.
Everything runs in the bounded sandbox (`checker.lang.sandbox`): limited integers, sizes and
time, each expression or render under its own time limit.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import jinja2
from jinja2 import nodes

from checker.errors import ExpressionError
from checker.lang.sandbox import BoundedSandbox, time_limit
from checker.lang.values import parse_duration, version_tuple

_WHOLE = re.compile(r"^\s*\{\{(.*)\}\}\s*$", re.S)
_VERSION_OPS: dict[str, Callable[[tuple[int, ...], tuple[int, ...]], bool]] = {
    "==": lambda a, b: a == b,
    "eq": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "ne": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "lt": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "le": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "gt": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "ge": lambda a, b: a >= b,
}


def _version_test(value: Any, other: Any, op: str = "==") -> bool:
    """Ansible's `version` test: `adsync.version is version('1.1.105.0', '>=')`."""
    if op not in _VERSION_OPS:
        raise ExpressionError(f"version test: unknown operator {op!r}")
    return _VERSION_OPS[op](version_tuple(value), version_tuple(other))


def _environment() -> BoundedSandbox:
    env = BoundedSandbox(undefined=jinja2.StrictUndefined, autoescape=False)
    env.tests["version"] = _version_test
    env.tests["version_compare"] = _version_test
    env.filters["duration"] = parse_duration
    env.filters["where"] = _where
    env.tests["match"] = _re_test(re.match)  # Ansible's regex tests
    env.tests["search"] = _re_test(re.search)
    env.tests["regex"] = _re_test(re.search)
    env.tests["contains"] = _contains  # Ansible's: `item.services is contains('SMTP')`
    return env


def _contains(seq: Any, value: Any) -> bool:
    """Ansible's `contains` test (usable in selectattr): is `value` an element of `seq`?"""
    if seq is None:
        return False
    if not isinstance(seq, (list, tuple, set, frozenset, str)):
        raise ExpressionError(f"contains needs a list, got {type(seq).__name__}")
    return value in seq


_ANY = object()


def _where(items: Any, attribute: str, value: Any = _ANY) -> list[Any]:
    """`recipients | where('recipient_type_details', 128)`: the items whose attribute equals
    value (or, without a value, is truthy). selectattr's job, without the sandbox's per-item
    attribute checks: it is meant for the 100,000-object lists of for_each."""
    if attribute.startswith("_"):
        raise ExpressionError(f"where: access to {attribute!r} is not allowed")
    out = []
    for item in items:
        got = item.get(attribute) if isinstance(item, dict) else getattr(item, attribute, None)
        if (bool(got) if value is _ANY else got == value):
            out.append(item)
    return out


def _re_test(how: Callable[..., Any]) -> Callable[..., bool]:
    def test(value: Any, pattern: str, ignorecase: bool = False) -> bool:
        if not isinstance(value, str):
            raise ExpressionError(f"a regex test needs a string, got {type(value).__name__}")
        try:
            return how(pattern, value, re.I if ignorecase else 0) is not None
        except re.error as e:
            raise ExpressionError(f"invalid regular expression {pattern!r}: {e}") from None

    return test


ENV = _environment()


def _powershell_literal(value: Any) -> Any:
    """Every `{{ value }}` in a remediation script becomes a PowerShell literal (a quoted
    string, a number, $true/$false/$null), so data from a directory can never become code."""
    from checker.wire.ps_quote import literal

    if isinstance(value, jinja2.runtime.Undefined):
        return value
    try:
        return literal(value)
    except TypeError:
        return literal(str(value))


# A command a `steps:` text tells the admin to paste shows its values as PowerShell literals
# (`{{ upn.forest_dns_name | ps_literal }}`): a forest name holding `$(...)` or `; Remove-...`
# stays one argument. Not in SCRIPT_ENV, where every value is a literal already.
ENV.filters["ps_literal"] = _powershell_literal
SCRIPT_ENV = _environment()
SCRIPT_ENV.finalize = _powershell_literal


@functools.lru_cache(maxsize=1024)
def _compiled_script(source: str) -> jinja2.Template:
    return SCRIPT_ENV.from_string(source)


def render_script(template: str, context: Mapping[str, Any]) -> str:
    """Render a `script:`; interpolated values are quoted for PowerShell by type."""
    if "{{" not in template and "{%" not in template:
        return template
    return _render_with(_compiled_script, template, context, "script")


def _render_with(compiled: Callable[[str], jinja2.Template], template: str,
                 context: Mapping[str, Any], label: str) -> str:
    try:
        with time_limit():
            return compiled(template).render(**context)
    except jinja2.TemplateSyntaxError as e:
        raise ExpressionError(f"syntax error in {label}: {e.message}") from None
    except Exception as e:
        raise _wrap(e, template) from None


@functools.lru_cache(maxsize=4096)
def _compiled_expression(source: str) -> Any:
    return ENV.compile_expression(source, undefined_to_none=False)


@functools.lru_cache(maxsize=4096)
def _compiled_template(source: str) -> jinja2.Template:
    return ENV.from_string(source)


def evaluate(expression: str, context: Mapping[str, Any]) -> Any:
    """The native value of a bare expression (`that:` / `when:`)."""
    try:
        with time_limit():
            value = _compiled_expression(expression)(**context)
    except jinja2.TemplateSyntaxError as e:
        raise ExpressionError(f"syntax error in {expression!r}: {e.message}") from None
    except Exception as e:
        raise _wrap(e, expression) from None
    if isinstance(value, jinja2.Undefined):
        raise ExpressionError(f"{expression!r} is undefined")
    return value


def render(template: str, context: Mapping[str, Any]) -> Any:
    """A `{{ expr }}`-only string gives the native value; other strings render as text."""
    if not isinstance(template, str) or ("{{" not in template and "{%" not in template):
        return template
    whole = _WHOLE.match(template)
    if whole and "{{" not in whole.group(1):
        return evaluate(whole.group(1), context)
    return _render_with(_compiled_template, template, context, "template")


def _wrap(error: Exception, source: str) -> ExpressionError:
    if isinstance(error, ExpressionError):
        return error
    if isinstance(error, jinja2.exceptions.SecurityError):
        return ExpressionError(f"not allowed in the sandbox: {error}")
    if isinstance(error, jinja2.UndefinedError):
        return ExpressionError(f"{error.message} (in {source.strip()!r})")
    return ExpressionError(f"{type(error).__name__}: {error} (in {source.strip()!r})")


@functools.lru_cache(maxsize=1024)
def names_used(expression: str) -> frozenset[str]:
    """The context names a bare expression reads (`item`, `adsync`, ...)."""
    from jinja2 import meta

    try:
        return frozenset(meta.find_undeclared_variables(ENV.parse("{{ " + expression + " }}")))
    except jinja2.TemplateSyntaxError:
        return frozenset()


@functools.lru_cache(maxsize=8192)
def problems(source: str, expression: bool) -> list[str]:
    """Static checks for validation: syntax errors and sandbox escapes (no evaluation)."""
    if not expression and "{{" not in source and "{%" not in source and "{#" not in source:
        return []  # plain text: nothing for Jinja to run
    text = source
    if not expression:
        whole = _WHOLE.match(source)
        if whole and "{{" not in whole.group(1):
            text, expression = whole.group(1), True
    try:
        tree = ENV.parse("{{ " + text + " }}" if expression else text)
    except jinja2.TemplateSyntaxError as e:
        return [f"template syntax error: {e.message}"]
    return [f"access to {name!r} is not allowed" for name in _private_names(tree)]


def _private_names(tree: nodes.Node) -> Iterator[str]:
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)):
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = str(node.arg.value)
        elif isinstance(node, nodes.Name):
            name = node.name
        else:
            continue
        if name.startswith("_") or name in ("mro", "func_globals", "gi_frame"):
            yield name

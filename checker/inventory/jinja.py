"""The Jinja environment for inventory templates: sandboxed, bounded, Ansible's result types.

ansible-core 2.19 renders a template to its native value when the output is one node, and
joins several nodes as text, dropping `None` nodes (AnsibleEnvironment.concat in
ansible/_internal/_templating/_jinja_bits.py); its code generator keeps a single constant
unstringified. We do the same on Jinja's NativeCodeGenerator, in Jinja's immutable
sandbox.

Bounds (the sandbox alone lets `range`, `**` and `*` exhaust memory or time): `range()` is
capped by Jinja's sandbox (100,000 items), `**` and sequence repetition are checked before
they run, padding widths are capped. An inventory is input: a template that breaks a bound
is an input error at its file:line, never a crash or a hang.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.nativetypes import NativeCodeGenerator
from jinja2.sandbox import ImmutableSandboxedEnvironment

from checker.inventory import filters

MAX_POWER_BITS = 4096  # results of ** up to ~1,200 digits
MAX_SEQUENCE = 10_000_000  # items or characters one * may build


class TemplateFailure(Exception):
    """A template that cannot be rendered: the message says why, for the user."""


class _CodeGenerator(NativeCodeGenerator):
    def _output_const_repr(self, group: Iterable[Any]) -> str:
        items = list(group)
        if len(items) == 1:
            return repr(items[0])
        return repr("".join(str(v) for v in items if v is not None))


def _concat(nodes: Iterable[Any]) -> Any:
    values = [n for n in nodes if n is not None]
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return "".join(str(v) for v in values)


class _Environment(ImmutableSandboxedEnvironment):
    code_generator_class = _CodeGenerator
    intercepted_binops = frozenset(["**", "*", "%"])

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        if op == "**":
            _check_power(left, right)
            return operator.pow(left, right)
        if op == "*":
            _check_repeat(left, right)
            return operator.mul(left, right)
        if isinstance(left, str) and any(str(n).isdigit() and int(n) > MAX_SEQUENCE
                                         for n in _numbers(left)):
            raise TemplateFailure("a format width is too large")
        return operator.mod(left, right)


def _numbers(text: str) -> list[str]:
    out, digits = [], ""
    for ch in text + " ":
        if ch.isdigit():
            digits += ch
        elif digits:
            out.append(digits)
            digits = ""
    return out


def _check_power(base: Any, exponent: Any) -> None:
    if isinstance(base, (int, float)) and isinstance(exponent, int) and abs(base) > 1 \
            and exponent * max(1, abs(int(base)).bit_length()) > MAX_POWER_BITS:
        raise TemplateFailure(f"{base!r} ** {exponent!r} is too large to compute")


def _check_repeat(left: Any, right: Any) -> None:
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, (str, list, tuple)) and isinstance(times, int) \
                and len(seq) * times > MAX_SEQUENCE:
            raise TemplateFailure(f"repeating a sequence {times:,} times is too large")


ENV = _Environment(undefined=jinja2.StrictUndefined, autoescape=False)
ENV.concat = _concat  # type: ignore[method-assign]
filters.install(ENV)


@functools.lru_cache(maxsize=8192)
def compile_template(text: str) -> tuple[jinja2.Template, frozenset[str]]:
    """The compiled template and the names it reads (to render lazily)."""
    try:
        tree = ENV.parse(text)
        return ENV.from_string(tree), frozenset(meta.find_undeclared_variables(tree))
    except jinja2.TemplateSyntaxError as e:
        raise TemplateFailure(f"template syntax error: {e.message}") from None


def render(template: jinja2.Template, context: dict[str, Any]) -> Any:
    """The template's native value (one node) or text (several nodes)."""
    try:
        result = _concat(template.root_render_func(template.new_context(context)))
        if isinstance(result, jinja2.Undefined):
            result._fail_with_undefined_error()
        return result
    except TemplateFailure:
        raise
    except jinja2.UndefinedError as e:
        raise TemplateFailure(e.message or "undefined variable") from None
    except jinja2.exceptions.SecurityError as e:
        raise TemplateFailure(f"not allowed in the sandbox: {e}") from None
    except filters.LookupFailure as e:
        raise TemplateFailure(str(e)) from None
    except OverflowError as e:
        raise TemplateFailure(f"too large: {e}") from None
    except (ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as e:
        raise TemplateFailure(f"{type(e).__name__}: {e}") from None

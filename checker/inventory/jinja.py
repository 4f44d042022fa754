"""The Jinja environment for inventory templates: the bounded sandbox, Ansible's result types.

ansible-core 2.19 renders a template to its native value when the output is one node, and
joins several nodes as text, dropping `None` nodes (AnsibleEnvironment.concat in
ansible/_internal/_templating/_jinja_bits.py); its code generator keeps a single constant
unstringified. We do the same on Jinja's NativeCodeGenerator, in checker's bounded sandbox
(checker/lang/sandbox.py, shared with rule expressions): `range(99999999)`, `10 ** 10 ** 9`,
`'x' * 10 ** 12` and endless loops are refused. An inventory is input: a template that
breaks a bound is an input error at its file:line, never a crash or a hang.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.nativetypes import NativeCodeGenerator

from checker.errors import ExpressionError
from checker.inventory import filters
from checker.lang.sandbox import MAX_ITEMS, BoundedSandbox, time_limit


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
    text = "".join(str(v) for v in values)
    if len(text) > MAX_ITEMS:
        raise TemplateFailure(f"the rendered text would have {len(text):,} characters; the "
                              f"sandbox allows {MAX_ITEMS:,}")
    return text


class _Environment(BoundedSandbox):
    code_generator_class = _CodeGenerator


ENV = _Environment(undefined=jinja2.StrictUndefined, autoescape=False)
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
        with time_limit():
            result = _concat(template.root_render_func(template.new_context(context)))
        if isinstance(result, jinja2.Undefined):
            result._fail_with_undefined_error()
        return result
    except TemplateFailure:
        raise
    except ExpressionError as e:  # a bound of the sandbox
        raise TemplateFailure(str(e)) from None
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

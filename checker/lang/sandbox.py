"""The bounded Jinja sandbox: what a template may compute, and for how long.

Jinja's sandbox stops a template from reaching Python internals, not from computing forever:
`10 ** (10 ** 9)` is one C call that never returns, `'x' * 10 ** 12` exhausts memory and a
nested loop over two large lists runs for hours. `BoundedSandbox` refuses each of these
with a `SandboxLimit` (an ExpressionError: an `error` row, or a file:line message):

- integers: `**` and `*` may not build an integer of more than MAX_INT_BITS bits;
- sizes: repetition (`*`), concatenation (`+`, `~`), `range()`, the width of a `%` or
  `format` field and what it repeats, width arguments of filters and string methods, what a
  filter writes out (`tojson`, `join`, `string`, ...: a YAML alias graph counts each
  reference), the text any filter or call returns, a `namespace` attribute and a rendered
  template are limited to MAX_ITEMS elements or characters;
- time: a `time_limit(seconds)` block sets a deadline that every call, attribute and item
  access, intercepted operator, loop iteration and output chunk checks. `evaluate()` and
  `render()` run under TIME_LIMIT_S each.

The checks are cooperative (no signals), so they work in any thread and on Windows. What
they cannot interrupt is one long C call that none of the limits above prevents, such as a
catastrophic regular expression in a rule; rule authors own their regexes.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from checker.lang.limits import (
    BINOPS,
    MAX_INT_BITS,
    MAX_ITEMS,
    BoundedFilters,
    SandboxLimit,
    bounded_range,
    check_brace_format,
    check_size,
    check_string_method,
    checked_value,
    concat,
)

__all__ = ["MAX_INT_BITS", "MAX_ITEMS", "TIME_LIMIT_S", "BoundedSandbox", "SandboxLimit",
           "TimeLimitExceeded", "tick", "time_limit"]

TIME_LIMIT_S = 10.0  # one expression, or one template render


class TimeLimitExceeded(SandboxLimit):
    """The deadline of the enclosing `time_limit` passed: everything inside it stops."""


class _State(threading.local):
    deadline: float = math.inf
    limit: float = TIME_LIMIT_S


_STATE = _State()


class time_limit:
    """`with time_limit(5):` bounds the sandboxed code run inside by a deadline. Nested
    blocks keep the earlier deadline, so an outer bound cannot be extended from inside."""

    __slots__ = ("_saved", "_seconds")

    def __init__(self, seconds: float | None = None) -> None:
        self._seconds = seconds
        self._saved = (math.inf, TIME_LIMIT_S)

    def __enter__(self) -> None:
        self._saved = (_STATE.deadline, _STATE.limit)
        seconds = TIME_LIMIT_S if self._seconds is None else self._seconds
        deadline = time.monotonic() + seconds
        if deadline < _STATE.deadline:
            _STATE.deadline, _STATE.limit = deadline, seconds

    def __exit__(self, *exc: object) -> None:
        _STATE.deadline, _STATE.limit = self._saved


def tick() -> None:
    """Raise SandboxLimit once the current time limit has passed."""
    if time.monotonic() > _STATE.deadline:
        raise TimeLimitExceeded(f"took longer than the time limit of {_STATE.limit:g} s")


def _loop(items: Any) -> Iterator[Any]:
    """Every `{% for %}` iterates through this: one deadline check per iteration."""
    for item in items:
        tick()
        yield item


def _bounded_concat(chunks: Iterable[str]) -> str:
    """Joins a template's output (and macro and block-set bodies), counting as it goes."""
    out: list[str] = []
    total = 0
    for chunk in chunks:
        total += len(chunk)
        check_size("the rendered text", total)
        tick()
        out.append(chunk)
    return "".join(out)


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """ImmutableSandboxedEnvironment with the limits above."""

    intercepted_binops = frozenset({"**", "*", "+", "%"})
    concat = staticmethod(_bounded_concat)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.binop_table = {**self.binop_table, **BINOPS}
        self.globals["range"] = bounded_range
        self.globals.pop("lipsum", None)  # lipsum(n=10**9): no use in a rule
        self.filters = BoundedFilters(self.filters)
        self.filters["checker_loop"] = _loop
        self.filters["checker_checked"] = checked_value
        self.filters["checker_concat"] = concat

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        tick()
        return self.binop_table[operator](left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        tick()
        return super().getitem(obj, argument)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        tick()
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, (str, bytes)):
            args = check_string_method(owner, getattr(__obj, "__name__", ""), args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, (str, bytes)):  # str.translate, a macro's output, ...
            check_size("the result of a call", len(result))
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt = value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            check_brace_format(fmt, args, kwargs)
            return wrapped(*args, **kwargs)

        return checked

    def _generate(self, source: nodes.Template, *args: Any, **kwargs: Any) -> str:
        """Every loop iterates through `checker_loop` and every namespace assignment goes
        through `checker_checked`; then Jinja compiles the tree as usual."""
        for loop in source.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, "checker_loop", [], [], None, None,
                                     lineno=loop.lineno)
        for assign in source.find_all(nodes.Assign):
            if isinstance(assign.target, nodes.NSRef):
                assign.node = nodes.Filter(assign.node, "checker_checked", [], [], None, None,
                                           lineno=assign.lineno)
        return super()._generate(_BoundedConcat().visit(source), *args, **kwargs)


class _BoundedConcat(NodeTransformer):
    """`a ~ b` becomes `[a, b] | checker_concat`: its size is checked before it is built."""

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Filter(nodes.List(node.nodes, lineno=node.lineno), "checker_concat", [],
                            [], None, None, lineno=node.lineno)



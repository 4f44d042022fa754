"""The bounded Jinja sandbox: what a template may compute, and for how long.

Jinja's sandbox stops a template from reaching Python internals, not from computing forever:
`10 ** (10 ** 9)` is one C call that never returns, `'x' * 10 ** 12` exhausts memory and a
nested loop over two large lists runs for hours. `BoundedSandbox` refuses each of these
with a `SandboxLimit` (an ExpressionError: an `error` row, or a file:line message):

- integers: `**` and `*` may not build an integer of more than MAX_INT_BITS bits;
- sizes: repetition (`*`), concatenation (`+`), `range()`, the width of a `%` or `format`
  field, width arguments of filters and string methods, a `namespace` attribute and a
  rendered template are limited to MAX_ITEMS elements or characters;
- time: a `time_limit(seconds)` block sets a deadline that every call, attribute and item
  access, intercepted operator, loop iteration and output chunk checks. `evaluate()` and
  `render()` run under TIME_LIMIT_S each.

The checks are cooperative (no signals), so they work in any thread and on Windows. What
they cannot interrupt is one long C call that none of the limits above prevents, such as a
catastrophic regular expression in a rule; rule authors own their regexes.
"""

from __future__ import annotations

import math
import re
import string
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from checker.errors import ExpressionError

MAX_INT_BITS = 4096  # 1,233 decimal digits: far beyond any directory value (64-bit USNs)
MAX_ITEMS = 1_000_000  # elements of a list, characters of a string
TIME_LIMIT_S = 10.0  # one expression, or one template render

_SEQUENCES = (str, bytes, list, tuple)
# `%` conversions: flags, then a width and a precision that may be `*` (taken from the args)
_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
# string methods whose integer arguments are output sizes
_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})
# filters whose arguments are output sizes (by position after the value, and by name)
# filters with an argument that sets the size of the result: (its name, the result's size)
_SIZED_FILTERS: dict[str, tuple[str, Callable[[Any, Any], int]]] = {
    "center": ("width", lambda text, width: width if _is_int(width) else 0),
    "indent": ("width", lambda text, width: _indented_size(text, width)),
    "batch": ("linecount", lambda items, count: count if _is_int(count) else 0),
    "slice": ("slices", lambda items, count: count if _is_int(count) else 0),
}


class SandboxLimit(ExpressionError):
    """An expression or template went past a limit of the bounded sandbox."""


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


def _too_big(what: str, size: int, unit: str = "elements or characters") -> SandboxLimit:
    return SandboxLimit(f"{what} would have {size:,} {unit}; the sandbox allows "
                        f"{MAX_INT_BITS if unit == 'bits' else MAX_ITEMS:,}")


def _size(value: Any) -> int:
    """Elements or characters of a value, nested ones counted too (capped past MAX_ITEMS)."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, (list, tuple)):
        total = len(value)
        for v in value:
            if total > MAX_ITEMS:
                break
            if isinstance(v, _SEQUENCES):
                total += _size(v)
        return total
    return 1


def _power(left: Any, right: Any) -> Any:
    if _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
        bits = right * math.log2(abs(left))
        if bits > MAX_INT_BITS:
            raise _too_big(f"{left} ** {right}", int(bits), "bits")
    return left ** right


def _multiply(left: Any, right: Any) -> Any:
    if _is_int(left) and _is_int(right):
        bits = left.bit_length() + right.bit_length()
        if bits > MAX_INT_BITS:
            raise _too_big("the product", bits, "bits")
    elif isinstance(left, _SEQUENCES) and _is_int(right):
        _check_size("the repetition", _size(left) * max(right, 0))
    elif isinstance(right, _SEQUENCES) and _is_int(left):
        _check_size("the repetition", _size(right) * max(left, 0))
    return left * right


def _add(left: Any, right: Any) -> Any:
    if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        _check_size("the concatenation", _size(left) + _size(right))
    return left + right


def _modulo(left: Any, right: Any) -> Any:
    if isinstance(left, str):
        check_percent_format(left)
    return left % right


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


def _check_size(what: str, size: int) -> None:
    if size > MAX_ITEMS:
        raise _too_big(what, size)


def check_percent_format(fmt: str) -> None:
    """`'%1000000000d' % 1` and `'%*d' % (10 ** 9, 1)` build huge strings: refuse them."""
    for field in _PERCENT_FIELD.finditer(fmt):
        for number in field.groups():
            if number == "*":
                raise SandboxLimit("a `*` width in a % format is not allowed in the sandbox")
            if number is not None:
                _check_size(f"the % format field {field.group(0)!r}", int(number))


def check_brace_format(fmt: str) -> None:
    """`'{:>1000000000}'.format(1)`; a nested `{}` width is refused (it comes from data)."""
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError as e:
        raise ExpressionError(f"invalid format string {fmt!r}: {e}") from None
    for _, _, spec, _ in fields:
        if not spec:
            continue
        if "{" in spec:
            raise SandboxLimit("a nested {} in a format field is not allowed in the sandbox")
        for number in re.findall(r"\d+", spec):
            _check_size(f"the format field {spec!r}", int(number))


def bounded_range(*args: int) -> range:
    try:
        rng = range(*args)
    except (TypeError, ValueError) as e:
        raise ExpressionError(f"range: {e}") from None
    _check_size(f"range({', '.join(map(str, args))})", len(rng))
    return rng


def _loop(items: Any) -> Iterator[Any]:
    """Every `{% for %}` iterates through this: one deadline check per iteration."""
    for item in items:
        tick()
        yield item


def _indented_size(text: Any, width: Any) -> int:
    prefix = width if _is_int(width) else len(str(width))
    return len(str(text)) + (str(text).count("\n") + 1) * prefix


def _sized_filter(name: str, fn: Callable[..., Any]) -> Any:
    param, size_of = _SIZED_FILTERS[name]

    def bounded(*args: Any, **kwargs: Any) -> Any:
        at = 1 if getattr(fn, "jinja_pass_arg", None) is None else 2  # after env/context
        arg = args[at] if len(args) > at else kwargs.get(param)
        if len(args) >= at and (_is_int(arg) or isinstance(arg, str)):
            _check_size(f"the result of the {name} filter", size_of(args[at - 1], arg))
        return fn(*args, **kwargs)

    bounded.__dict__.update(fn.__dict__)  # keeps jinja's pass_environment mark
    return bounded


def _format_filter(fn: Callable[..., Any]) -> Callable[..., Any]:
    def bounded(value: Any, *args: Any, **kwargs: Any) -> Any:
        check_percent_format(str(value))
        return fn(value, *args, **kwargs)

    return bounded


def _bounded_concat(chunks: Iterable[str]) -> str:
    """Joins a template's output (and macro and block-set bodies), counting as it goes."""
    out: list[str] = []
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > MAX_ITEMS:
            raise _too_big("the rendered text", total)
        tick()
        out.append(chunk)
    return "".join(out)


def _checked_value(value: Any) -> Any:
    """`{% set ns.x = ... %}`: the only state a loop carries from one iteration to the next."""
    _check_size("a namespace value", _size(value))
    return value


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """ImmutableSandboxedEnvironment with the limits above."""

    intercepted_binops = frozenset({"**", "*", "+", "%"})
    concat = staticmethod(_bounded_concat)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.binop_table = {**self.binop_table, "**": _power, "*": _multiply, "+": _add,
                            "%": _modulo}
        self.globals["range"] = bounded_range
        self.globals.pop("lipsum", None)  # lipsum(n=10**9): no use in a rule
        for name in _SIZED_FILTERS:
            self.filters[name] = _sized_filter(name, self.filters[name])
        self.filters["format"] = _format_filter(self.filters["format"])
        self.filters["checker_loop"] = _loop
        self.filters["checker_checked"] = _checked_value

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
            args = _check_string_method(owner, getattr(__obj, "__name__", ""), args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt = value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            check_brace_format(fmt)
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
        return super()._generate(source, *args, **kwargs)


def _check_string_method(
    owner: str | bytes, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...]:
    """Refuse a string method call whose result would be too large; the arguments to use
    (an iterable given to join() is read once, here)."""
    if name in _WIDTH_METHODS:
        for v in [*args, *kwargs.values()]:
            if _is_int(v):
                _check_size(f"{name}({v})", v)
    elif name == "replace" and len(args) >= 2:
        old, new = args[0], args[1]
        growth = max(len(new) - len(old), 0)
        slots = len(owner) + 1 if not old else len(owner) // max(len(old), 1)
        _check_size("replace()", len(owner) + slots * growth)
    elif name == "join" and args:
        items = list(args[0])
        args = (items, *args[1:])
        _check_size("join()", sum(map(_size, items)) + len(owner) * len(items))
    return args

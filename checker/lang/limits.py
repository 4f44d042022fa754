"""The size and number limits of the bounded sandbox (`checker.lang.sandbox`): integers up to
MAX_INT_BITS bits, and MAX_ITEMS elements or characters for repetition, concatenation,
`range()`, `%`/`format` field widths, sized filters and string methods. Each check runs
before the work it guards, so a refused computation costs nothing."""

from __future__ import annotations

import math
import re
import string
from collections.abc import Callable
from typing import Any

from checker.errors import ExpressionError

MAX_INT_BITS = 4096  # 1,233 decimal digits: far beyond any directory value (64-bit USNs)
MAX_ITEMS = 1_000_000  # elements of a list, characters of a string

_SEQUENCES = (str, bytes, list, tuple)
# `%` conversions: flags, then a width and a precision that may be `*` (taken from the args)
_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
# string methods whose integer arguments are output sizes
_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})
# filters with an argument that sets the size of the result: (its name, the result's size)
_SIZED_FILTERS: dict[str, tuple[str, Callable[[Any, Any], int]]] = {
    "center": ("width", lambda text, width: width if _is_int(width) else 0),
    "indent": ("width", lambda text, width: _indented_size(text, width)),
    "batch": ("linecount", lambda items, count: count if _is_int(count) else 0),
    "slice": ("slices", lambda items, count: count if _is_int(count) else 0),
}


class SandboxLimit(ExpressionError):
    """An expression or template went past a limit of the bounded sandbox."""


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
        check_size("the repetition", _size(left) * max(right, 0))
    elif isinstance(right, _SEQUENCES) and _is_int(left):
        check_size("the repetition", _size(right) * max(left, 0))
    return left * right


def _add(left: Any, right: Any) -> Any:
    if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        check_size("the concatenation", _size(left) + _size(right))
    return left + right


def _modulo(left: Any, right: Any) -> Any:
    if isinstance(left, str):
        check_percent_format(left)
    return left % right


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


def check_size(what: str, size: int) -> None:
    if size > MAX_ITEMS:
        raise _too_big(what, size)


def check_percent_format(fmt: str) -> None:
    """`'%1000000000d' % 1` and `'%*d' % (10 ** 9, 1)` build huge strings: refuse them."""
    for field in _PERCENT_FIELD.finditer(fmt):
        for number in field.groups():
            if number == "*":
                raise SandboxLimit("a `*` width in a % format is not allowed in the sandbox")
            if number is not None:
                check_size(f"the % format field {field.group(0)!r}", int(number))


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
            check_size(f"the format field {spec!r}", int(number))


def bounded_range(*args: int) -> range:
    try:
        rng = range(*args)
    except (TypeError, ValueError) as e:
        raise ExpressionError(f"range: {e}") from None
    check_size(f"range({', '.join(map(str, args))})", len(rng))
    return rng


def _indented_size(text: Any, width: Any) -> int:
    prefix = width if _is_int(width) else len(str(width))
    return len(str(text)) + (str(text).count("\n") + 1) * prefix


def _sized_filter(name: str, fn: Callable[..., Any]) -> Any:
    param, size_of = _SIZED_FILTERS[name]

    def bounded(*args: Any, **kwargs: Any) -> Any:
        at = 1 if getattr(fn, "jinja_pass_arg", None) is None else 2  # after env/context
        arg = args[at] if len(args) > at else kwargs.get(param)
        if len(args) >= at and (_is_int(arg) or isinstance(arg, str)):
            check_size(f"the result of the {name} filter", size_of(args[at - 1], arg))
        return fn(*args, **kwargs)

    bounded.__dict__.update(fn.__dict__)  # keeps jinja's pass_environment mark
    return bounded


def _format_filter(fn: Callable[..., Any]) -> Callable[..., Any]:
    def bounded(value: Any, *args: Any, **kwargs: Any) -> Any:
        check_percent_format(str(value))
        return fn(value, *args, **kwargs)

    return bounded


def checked_value(value: Any) -> Any:
    """`{% set ns.x = ... %}`: the only state a loop carries from one iteration to the next."""
    check_size("a namespace value", _size(value))
    return value


def check_string_method(
    owner: str | bytes, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...]:
    """Refuse a string method call whose result would be too large; the arguments to use
    (an iterable given to join() is read once, here)."""
    if name in _WIDTH_METHODS:
        for v in [*args, *kwargs.values()]:
            if _is_int(v):
                check_size(f"{name}({v})", v)
    elif name == "replace" and len(args) >= 2:
        old, new = args[0], args[1]
        growth = max(len(new) - len(old), 0)
        slots = len(owner) + 1 if not old else len(owner) // max(len(old), 1)
        check_size("replace()", len(owner) + slots * growth)
    elif name == "join" and args:
        items = list(args[0])
        args = (items, *args[1:])
        check_size("join()", sum(map(_size, items)) + len(owner) * len(items))
    return args


# the intercepted operators of the sandbox
BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "**": _power, "*": _multiply, "+": _add, "%": _modulo,
}


def bound_filters(filters: dict[str, Any]) -> None:
    """Wrap, in place, the filters whose arguments set the size of their result."""
    for name in _SIZED_FILTERS:
        filters[name] = _sized_filter(name, filters[name])
    filters["format"] = _format_filter(filters["format"])

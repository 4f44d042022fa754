"""The size and number limits of the bounded sandbox (`checker.lang.sandbox`): integers up to
MAX_INT_BITS bits, and MAX_ITEMS elements or characters for repetition, concatenation,
`range()`, `%`/`format` field widths, sized filters and string methods. Each check runs
before the work it guards, so a refused computation costs nothing."""

from __future__ import annotations

import math
import re
import string
from collections.abc import Callable, Mapping, Sized
from typing import Any

from checker.errors import ExpressionError

MAX_INT_BITS = 4096  # 1,233 decimal digits: far beyond any directory value (64-bit USNs)
MAX_ITEMS = 1_000_000  # elements of a list, characters of a string

_SEQUENCES = (str, bytes, list, tuple)
_CONTAINERS = (Mapping, list, tuple, set, frozenset)
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


def written_size(value: Any, depth: int = 0) -> int:
    """About how many characters writing `value` out takes (str(), JSON, YAML), counting a
    shared reference each time it is reached, as a serialiser does (a YAML alias graph of a
    few hundred bytes writes out to gigabytes); times the depth for an indenting writer
    (`depth`: the indent). Counting stops past MAX_ITEMS."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if not isinstance(value, _CONTAINERS):
        return 1
    total, stack = 0, [(value, 0)]
    while stack and total <= MAX_ITEMS:
        item, level = stack.pop()
        total += 1 + level * depth
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, Mapping):
            stack += [(v, level + 1) for pair in item.items() for v in pair]
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack += [(v, level + 1) for v in item]
    return total


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
        fields = len(_PERCENT_FIELD.findall(left))
        check_size("the % format", len(left) + fields * written_size(right))
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


def check_brace_format(fmt: str, args: tuple[Any, ...] = (),
                       kwargs: Mapping[str, Any] | None = None) -> None:
    """`'{:>1000000000}'.format(1)`; a nested `{}` width is refused (it comes from data);
    `'{0}{0}{0}...'.format(s)` may not repeat an argument past MAX_ITEMS either."""
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError as e:
        raise ExpressionError(f"invalid format string {fmt!r}: {e}") from None
    largest = max(map(written_size, [*args, *(kwargs or {}).values()]), default=0)
    check_size("format()", len(fmt) + sum(f[1] is not None for f in fields) * largest)
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


def _filter_value_at(fn: Callable[..., Any]) -> int:
    return 0 if getattr(fn, "jinja_pass_arg", None) is None else 1  # after env/context


def bounded_filter(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` with its size checks: before it runs when its arguments can make the result far
    larger than its input, and on its text result after, so no chain of filters grows text
    past MAX_ITEMS one bounded step at a time."""
    at = _filter_value_at(fn)
    base = name.removeprefix("ansible.builtin.")
    check = _BEFORE.get(base)

    def bounded(*args: Any, **kwargs: Any) -> Any:
        if check is not None and len(args) > at:
            if base == "join" and not isinstance(args[at], Sized):  # read the items once, here
                args = (*args[:at], list(args[at]), *args[at + 1:])
            check(base, args[at], args[at + 1:], kwargs)
        result = fn(*args, **kwargs)
        if isinstance(result, (str, bytes)) and len(result) > MAX_ITEMS:
            raise _too_big(f"the result of the {name} filter", len(result))
        return result

    bounded.__dict__.update(getattr(fn, "__dict__", {}))  # keeps jinja's pass_* mark
    return bounded


FilterArgs = tuple[Any, ...]


def _check_sized(name: str, value: Any, args: FilterArgs, kwargs: dict[str, Any]) -> None:
    param, size_of = _SIZED_FILTERS[name]
    arg = args[0] if args else kwargs.get(param)
    if _is_int(arg) or isinstance(arg, str):
        check_size(f"the result of the {name} filter", size_of(value, arg))


def _check_writer(name: str, value: Any, args: FilterArgs, kwargs: dict[str, Any]) -> None:
    """A filter that writes a whole value out (each shared reference again)."""
    if not isinstance(value, _CONTAINERS):
        return  # a few times its size at most: the result is checked
    if name == "join":  # every item, and the separator between every two
        sep = str(kwargs.get("d", args[0] if args else ""))
        check_size("the result of the join filter", written_size(value) + len(sep) * len(value))
        return
    indent: Any = kwargs.get("indent", args[0] if args and name.startswith("to") else 0)
    size = written_size(value, indent if _is_int(indent) and indent > 0 else 0)
    check_size(f"the result of the {name} filter", size)


def _check_replacer(name: str, value: Any, args: FilterArgs, kwargs: dict[str, Any]) -> None:
    if len(args) >= 2:
        _check_replace(name, str(value), str(args[0]), str(args[1]))


_BEFORE: dict[str, Callable[[str, Any, FilterArgs, dict[str, Any]], None]] = {
    **dict.fromkeys(_SIZED_FILTERS, _check_sized),
    **dict.fromkeys(("tojson", "to_json", "to_nice_json", "to_yaml", "to_nice_yaml", "pprint",
                     "string", "join", "flatten", "b64encode", "urlencode"), _check_writer),
    "replace": _check_replacer, "regex_replace": _check_replacer,
    "format": lambda name, value, args, kwargs: check_percent_format(str(value)),
}


def _check_replace(name: str, text: str, old: str, new: str) -> None:
    if name == "replace":
        slots = len(text) + 1 if not old else len(text) // len(old)
        check_size("replace()", len(text) + slots * max(len(new) - len(old), 0))
        return
    try:
        slots = sum(1 for _ in re.finditer(old, text, re.IGNORECASE | re.MULTILINE))
    except re.error:
        return  # the filter itself names the bad pattern
    # each group reference copies at most its match; the matches never overlap
    copies = len(_GROUP_REFERENCE.findall(new))
    check_size("regex_replace()", len(text) * (1 + copies) + slots * len(new))


_GROUP_REFERENCE = re.compile(r"\\(?:\d|g<)")


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
        _check_replace("replace", str(owner), str(args[0]), str(args[1]))
    elif name == "join" and args:
        items = list(args[0])
        args = (items, *args[1:])
        check_size("join()", sum(map(_size, items)) + len(owner) * len(items))
    return args


# the intercepted operators of the sandbox
BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "**": _power, "*": _multiply, "+": _add, "%": _modulo,
}


class BoundedFilters(dict[str, Any]):
    """An environment's filters: every filter put in, now or later (the inventory's Ansible
    filters), is wrapped by `bounded_filter`."""

    def __init__(self, filters: Mapping[str, Any]) -> None:
        super().__init__()
        for name, fn in filters.items():
            self[name] = fn

    def __setitem__(self, name: str, fn: Any) -> None:
        super().__setitem__(name, bounded_filter(name, fn) if callable(fn) else fn)

    def setdefault(self, name: str, fn: Any = None) -> Any:
        if name not in self:
            self[name] = fn
        return self[name]


def concat(items: list[Any]) -> str:
    """`a ~ b ~ c`: the joined text, its size checked before it is built."""
    if not all(type(item) is str for item in items):
        items = [item if type(item) is str else str(check_written(item)) for item in items]
    check_size("the concatenation", sum(map(len, items)))
    return "".join(items)


def check_written(value: Any) -> Any:
    check_size("the text of a value", written_size(value))
    return value

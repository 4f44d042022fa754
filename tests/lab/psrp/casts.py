"""Type casts, arithmetic and the few .NET methods the lab engine supports."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from .json51 import format_datetime
from .values import (
    Hashtable,
    KeyedCollection,
    PSError,
    PSObj,
    enumerate_value,
    to_string,
    truthy,
    type_name,
    unsupported,
)


def _int(value: Any) -> int:
    if isinstance(value, str):
        value = float(value.strip() or 0)
    return round(value) if isinstance(value, float) else int(value or 0)


def _char(value: Any) -> str:
    """[char]13: a System.Char, held as a one-character string (how it prints and joins)."""
    if isinstance(value, str):
        if len(value) != 1:
            raise ValueError("String must be exactly one character long.")
        return value
    return chr(_int(value))


def _custom(value: Any) -> Any:
    if isinstance(value, Hashtable):
        return PSObj(["System.Management.Automation.PSCustomObject"], dict(value), note=True)
    return value


def _datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


CASTS: dict[str, Callable[[Any], Any]] = {
    "string": to_string,
    "char": _char,
    "int": _int, "int32": _int, "long": _int, "int64": _int,
    "bool": truthy, "boolean": truthy, "switch": truthy,
    "double": lambda v: float(v or 0),
    "pscustomobject": _custom, "psobject": _custom,
    "array": lambda v: list(enumerate_value(v)), "object[]": lambda v: list(enumerate_value(v)),
    "string[]": lambda v: [to_string(x) for x in enumerate_value(v)],
    "datetime": _datetime,
    "guid": lambda v: v if isinstance(v, uuid.UUID) else uuid.UUID(str(v)),
    "hashtable": lambda v: v if isinstance(v, Hashtable) else Hashtable(v),
    "ordered": lambda v: v,
}


def cast(type_text: str, value: Any) -> Any:
    fn = CASTS.get(type_text.strip().lower().removeprefix("system."))
    if fn is None:
        raise PSError(f"Unable to find type [{type_text}].", "TypeNotFound", "InvalidOperation",
                      terminating=True)
    try:
        return fn(value)
    except (TypeError, ValueError) as e:
        raise PSError(f'Cannot convert value "{to_string(value)}" to type "{type_text}". '
                      f"Error: {e}", "InvalidCastParseTargetInvocation",
                      "InvalidArgument") from e


def operate(op: str, left: Any, right: Any) -> Any:
    """Binary + - * / % with PowerShell's left-operand typing."""
    if op == "+":
        if isinstance(left, list):
            return left + enumerate_value(right) if isinstance(right, list) else [*left, right]
        if isinstance(left, str):
            return left + to_string(right)
        if isinstance(left, Hashtable) and isinstance(right, Hashtable):
            return Hashtable({**left, **right})
        if left is None:
            return right
    try:
        ops: dict[str, Callable[[Any, Any], Any]] = {
            "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
            "/": lambda a, b: a / b, "%": lambda a, b: a % b}
        return ops[op](left, right)
    except (TypeError, KeyError, ZeroDivisionError) as e:
        raise PSError(f"Operator '{op}' failed on [{type_name(left)}] and "
                      f"[{type_name(right)}]: {e}", "OperatorFailed", "InvalidOperation") from e


def _string_method(value: str, name: str, args: list[Any]) -> Any:
    table: dict[str, Callable[..., Any]] = {
        "tolower": value.lower, "toupper": value.upper, "trim": value.strip,
        "startswith": lambda p: value.lower().startswith(str(p).lower()),
        "endswith": lambda p: value.lower().endswith(str(p).lower()),
        "contains": lambda p: str(p) in value,
        "split": lambda sep: value.split(str(sep)),
        "replace": lambda a, b: value.replace(str(a), str(b)),
    }
    return _call(table, value, name, args)


def _call(table: dict[str, Callable[..., Any]], target: Any, name: str, args: list[Any]) -> Any:
    fn = table.get(name.lower())
    if fn is None:
        raise PSError(f"Method invocation failed because [{type_name(target)}] does not "
                      f"contain a method named '{name}'.", "MethodNotFound", "InvalidOperation")
    return fn(*args)


def _datetime_method(target: dt.datetime, name: str, args: list[Any], tz: dt.tzinfo) -> Any:
    """A Kind-Unspecified (naive) DateTime is the server's local time (`tz`) to .NET's
    ToUniversalTime()/ToLocalTime(), as on a real server."""
    aware = target if target.tzinfo else target.replace(tzinfo=tz)
    return _call({"tostring": lambda fmt: format_datetime(target, str(fmt)),
                  "touniversaltime": lambda: aware.astimezone(dt.timezone.utc),
                  "tolocaltime": lambda: aware.astimezone(tz),
                  "adddays": lambda n: target + dt.timedelta(days=n),
                  "addminutes": lambda n: target + dt.timedelta(minutes=n)},
                 target, name, args)


def call_method(target: Any, name: str, args: list[Any],
                tz: dt.tzinfo = dt.timezone.utc) -> Any:
    if name.lower() == "tostring" and not args:
        return to_string(target)
    if target is None:
        raise PSError("You cannot call a method on a null-valued expression.",
                      "InvokeMethodOnNull", "InvalidOperation")
    if isinstance(target, str):
        return _string_method(target, name, args)
    if isinstance(target, Hashtable):
        return _call({"containskey": lambda k: target.get_ci(k) is not None,
                      "add": lambda k, v: target.set_ci(k, v)}, target, name, args)
    if isinstance(target, KeyedCollection):
        return _call({"contains": lambda k: target.lookup(str(k)) is not None},
                     target, name, args)
    if isinstance(target, list):
        return _call({"contains": lambda v: v in target}, target, name, args)
    if isinstance(target, dt.datetime):
        return _datetime_method(target, name, args, tz)
    if isinstance(target, PSObj):
        found, method = target.get(name)
        if found and callable(method):
            return method(*args)
    if not isinstance(target, (int, float, bool)):
        raise unsupported(f"method {name}() on {type_name(target)}")
    return _call({}, target, name, args)

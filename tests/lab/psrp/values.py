"""Values of the lab's PowerShell engine: objects, errors, conversions and 5.1 JSON.

Objects are plain Python: str/int/float/bool/None, list (an array), `Hashtable`, `PSObj`
(a .NET object with adapted properties, or a PSCustomObject with note properties),
`PSEnum`, `KeyedCollection` (indexable by name, like ParameterKeyedCollection), datetime,
timedelta, uuid.UUID. They become psrpcore objects only on the wire (`wire.py`).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

UTC = dt.timezone.utc


class PSError(Exception):
    """A PowerShell error record. `terminating` errors stop the script; others are statement
    errors that a script writes to the error stream and then carries on."""

    def __init__(self, message: str, error_id: str = "RuntimeException",
                 category: str = "NotSpecified",
                 exception_type: str = "System.Management.Automation.RuntimeException",
                 target: str = "", terminating: bool = False) -> None:
        super().__init__(message)
        self.message, self.error_id, self.category = message, error_id, category
        self.exception_type, self.target, self.terminating = exception_type, target, terminating

    def record(self) -> PSObj:
        """The `$_` a catch block sees."""
        exc = PSObj([self.exception_type, "System.Exception"], {"Message": self.message},
                    to_string=self.message)
        return PSObj(["System.Management.Automation.ErrorRecord"],
                     {"Exception": exc, "FullyQualifiedErrorId": self.error_id,
                      "CategoryInfo": self.category, "TargetObject": self.target},
                     to_string=self.message)


def unsupported(what: str) -> PSError:
    return PSError(f"lab engine: {what} is not supported", "LabEngineUnsupported",
                   "NotImplemented", terminating=True)


class Hashtable(dict):  # type: ignore[type-arg,unused-ignore]
    """@{}: keys compare case-insensitively, as in PowerShell."""

    def _find(self, key: Any) -> Any:
        if isinstance(key, str):
            for k in self:
                if isinstance(k, str) and k.lower() == key.lower():
                    return k
        return key

    def get_ci(self, key: Any) -> Any:
        return dict.get(self, self._find(key))

    def set_ci(self, key: Any, value: Any) -> None:
        dict.__setitem__(self, self._find(key), value)


@dataclass
class PSObj:
    type_names: list[str]
    props: dict[str, Any]
    to_string: str | None = None
    note: bool = False  # PSCustomObject (note properties) rather than adapted .NET ones

    def get(self, name: str) -> tuple[bool, Any]:
        for k, v in self.props.items():
            if k.lower() == name.lower():
                return True, v
        return False, None


@dataclass(frozen=True)
class PSEnum:
    type_name: str
    name: str
    value: int


@dataclass
class KeyedCollection:
    """ParameterKeyedCollection / SchemaAttributeKeyedCollection: enumerable, `['Name']`."""

    items: list[Any] = field(default_factory=list)
    key: str = "Name"

    def lookup(self, name: str) -> Any:
        for item in self.items:
            found, value = item.get(self.key) if isinstance(item, PSObj) else (False, None)
            if found and str(value).lower() == name.lower():
                return item
        return None


def enumerate_value(value: Any) -> list[Any]:
    """What a pipeline sees: arrays and collections unroll, everything else is one item."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, KeyedCollection):
        return list(value.items)
    return [value]


def collapse(items: list[Any]) -> Any:
    """Pipeline output assigned to a variable: nothing -> $null, one -> it, more -> array."""
    if not items:
        return None
    return items[0] if len(items) == 1 else items


def truthy(value: Any) -> bool:
    if isinstance(value, (list, KeyedCollection)):
        items = enumerate_value(value)
        return truthy(items[0]) if len(items) == 1 else bool(items)
    if isinstance(value, str):
        return value != ""
    if isinstance(value, PSEnum):
        return value.value != 0
    return bool(value) if isinstance(value, (bool, int, float)) or value is None else True


def to_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, PSEnum):
        return value.name
    if isinstance(value, dt.datetime):
        return value.strftime("%m/%d/%Y %H:%M:%S").lstrip("0")
    if isinstance(value, dt.timedelta):
        return _span(value)
    if isinstance(value, PSObj):
        return value.to_string if value.to_string is not None else _obj_string(value)
    if isinstance(value, list):
        return " ".join(to_string(v) for v in value)
    if isinstance(value, Hashtable):
        return "System.Collections.Hashtable"
    if isinstance(value, KeyedCollection):
        return " ".join(to_string(v) for v in value.items)
    return str(value)


def _span(value: dt.timedelta) -> str:
    secs = int(value.total_seconds())
    days, rest = divmod(secs, 86400)
    text = f"{rest // 3600:02}:{rest % 3600 // 60:02}:{rest % 60:02}"
    return f"{days}.{text}" if days else text


def _obj_string(obj: PSObj) -> str:
    if obj.note:
        return "@{" + "; ".join(f"{k}={to_string(v)}" for k, v in obj.props.items()) + "}"
    return obj.type_names[0]


def property_of(value: Any, name: str) -> Any:
    """`$x.Name`: properties, hashtable keys, and member enumeration over arrays."""
    if value is None:
        return None
    if isinstance(value, PSObj):
        return value.get(name)[1]
    if isinstance(value, Hashtable):
        if name.lower() in ("count", "keys", "values") and value.get_ci(name) is None:
            return {"count": len(value), "keys": list(value), "values": list(value.values())}[
                name.lower()]
        return value.get_ci(name)
    if isinstance(value, (list, KeyedCollection)):
        if name.lower() in ("count", "length"):
            return len(enumerate_value(value))
        out: list[Any] = []
        for item in enumerate_value(value):
            out.extend(enumerate_value(property_of(item, name)))
        return collapse(out)
    return _scalar_property(value, name)


_SPAN_PROPS = {"totalseconds": 1, "totalminutes": 60, "totalhours": 3600, "totaldays": 86400}


def _scalar_property(value: Any, name: str) -> Any:
    low = name.lower()
    if isinstance(value, str) and low == "length":
        return len(value)
    if isinstance(value, dt.timedelta) and low in _SPAN_PROPS:
        return value.total_seconds() / _SPAN_PROPS[low]
    if isinstance(value, dt.timedelta) and low == "ticks":
        return int(value.total_seconds() * 10_000_000)
    if isinstance(value, dt.datetime) and low in ("year", "month", "day", "hour", "minute"):
        return getattr(value, low)
    if isinstance(value, PSEnum) and low == "value__":
        return value.value
    return None


def type_name(value: Any) -> str:
    names = {str: "System.String", bool: "System.Boolean", int: "System.Int32",
             float: "System.Double", Hashtable: "System.Collections.Hashtable",
             list: "System.Object[]", dt.datetime: "System.DateTime",
             dt.timedelta: "System.TimeSpan", uuid.UUID: "System.Guid"}
    if isinstance(value, PSObj):
        return value.type_names[0]
    if isinstance(value, PSEnum):
        return value.type_name
    return names.get(type(value), "System.Object")


# ----------------------------------------------------------------------------- comparisons
def compare(op: str, left: Any, right: Any) -> Any:
    """PowerShell comparison: case-insensitive unless `-c...`; an array on the left filters."""
    op = op.lower().lstrip("-")
    if op in ("contains", "notcontains", "in", "notin"):
        return _containment(op, left, right)
    if isinstance(left, list):
        return [x for x in left if truthy(compare(op, x, right))]
    sensitive = op.startswith("c") and op not in ("contains",)
    base = op[1:] if op[:1] in ("c", "i") and op[1:] in _OPS else op
    if base not in _OPS:
        raise unsupported(f"operator -{op}")
    return _OPS[base](*_coerce(left, right, sensitive))


def _containment(op: str, left: Any, right: Any) -> bool:
    coll, item = (left, right) if op in ("contains", "notcontains") else (right, left)
    hit = any(truthy(compare("eq", x, item)) for x in enumerate_value(coll))
    return hit if op in ("contains", "in") else not hit


def _coerce(left: Any, right: Any, sensitive: bool) -> tuple[Any, Any]:
    if isinstance(left, (str, PSEnum, uuid.UUID)):
        a, b = to_string(left), to_string(right)
        return (a, b) if sensitive else (a.lower(), b.lower())
    if isinstance(left, bool):
        return left, truthy(right)
    if isinstance(left, (int, float)) and isinstance(right, str):
        try:
            return left, float(right)
        except ValueError:
            return to_string(left).lower(), right.lower()
    if isinstance(left, dt.datetime) and isinstance(right, str):
        return left, dt.datetime.fromisoformat(right).replace(tzinfo=left.tzinfo)
    return left, right


def _like(a: Any, b: Any) -> bool:
    return fnmatch.fnmatchcase(str(a), str(b))


_OPS = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
    "like": _like, "notlike": lambda a, b: not _like(a, b),
    "match": lambda a, b: re.search(str(b), str(a)) is not None,
    "notmatch": lambda a, b: re.search(str(b), str(a)) is None,
}

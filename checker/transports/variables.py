"""Transport variables declared once, as a table.

A transport lists its inventory variables as `Var` rows (option, inventory names, type,
choices, default, secret, description). Everything else is generated from that table:
the checks that run before any connection (`VarTable.read`), the `checker schema inventory`
properties (`VarTable.json_schema`) and the reference table in the docs
(`VarTable.markdown`, written to docs/transport-variables.md by
`python -m checker.transports.variables`).

Names follow Ansible's connection plugins: one option may be set by several variables, and
as in Ansible's config manager the last name in `names` that a host defines wins
(`ansible_psrp_host` beats `ansible_host`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

TYPES = ("str", "int", "float", "bool", "path", "list")
_TRUE = frozenset(("y", "yes", "on", "1", "true", "t"))
_FALSE = frozenset(("n", "no", "off", "0", "false", "f"))
_JSON_TYPE = {"str": "string", "path": "string", "int": "integer", "float": "number",
              "bool": "boolean", "list": "array"}


@dataclass(frozen=True)
class Var:
    """One setting of a transport and the inventory variables that set it."""

    option: str
    names: tuple[str, ...]
    type: str = "str"
    choices: tuple[str, ...] = ()
    default: Any = None
    secret: bool = False
    description: str = ""
    minimum: float | None = None
    maximum: float | None = None
    must_exist: bool = False  # a path that must name a readable file

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"variable {self.option}: unknown type {self.type!r}")


class Settings(dict[str, Any]):
    """option -> value for one host, with the variable that set each one (`origin`)."""

    origin: dict[str, str]


class VarTable:
    def __init__(self, transport: str, variables: Sequence[Var]) -> None:
        self.transport = transport
        self.variables = tuple(variables)
        self.by_option = {v.option: v for v in self.variables}

    def names(self) -> list[str]:
        return [n for v in self.variables for n in v.names]

    def secret_names(self) -> set[str]:
        return {n for v in self.variables if v.secret for n in v.names}

    def read(self, hostvars: Mapping[str, Any]) -> tuple[Settings, list[str]]:
        """Typed settings (defaults filled in) and the problems found, worded for the user."""
        settings, problems = Settings(), []
        settings.origin = {}
        for var in self.variables:
            name, raw = _lookup(var, hostvars)
            if name is None:
                settings[var.option] = var.default
                continue
            value, problem = convert(var, raw)
            if problem:
                problems.append(f"{name} {problem} (got {_show(var, raw)})")
            settings[var.option] = var.default if problem else value
            settings.origin[var.option] = name
        return settings, problems

    def json_schema(self) -> dict[str, Any]:
        """JSON Schema properties for every variable name of this table."""
        return {name: _schema(var) for var in self.variables for name in var.names}

    def markdown(self) -> str:
        lines = [f"### `{self.transport}`", "",
                 "| variable | aliases | type | default | description |",
                 "|---|---|---|---|---|"]
        for var in self.variables:
            kind = " \\| ".join(var.choices) if var.choices else var.type
            aliases = ", ".join(f"`{n}`" for n in var.names[1:])
            default = "" if var.default is None else f"`{var.default}`"
            note = f"{var.description}{' Secret: never reported.' if var.secret else ''}"
            lines.append(f"| `{var.names[0]}` | {aliases} | {kind} | {default} | {note} |")
        return "\n".join(lines) + "\n"


def _lookup(var: Var, hostvars: Mapping[str, Any]) -> tuple[str | None, Any]:
    found: tuple[str | None, Any] = (None, None)
    for name in var.names:
        if hostvars.get(name) is not None:
            found = (name, hostvars[name])
    return found


def _show(var: Var, raw: Any) -> str:
    return "a secret" if var.secret else repr(raw)


def convert(var: Var, raw: Any) -> tuple[Any, str | None]:
    """(value, None) or (None, problem) for one raw inventory value."""
    value, problem = _CONVERTERS[var.type](raw)
    if problem:
        return None, problem
    if var.choices:
        text = str(value).lower()
        if text not in var.choices:
            return None, f"must be one of {', '.join(var.choices)}"
        value = text
    if var.type in ("int", "float") and not _in_range(var, value):
        return None, f"must be {_range_text(var)}"
    if var.must_exist and not os.path.isfile(value):
        return None, "names no such file"
    return value, None


def _in_range(var: Var, value: float) -> bool:
    return ((var.minimum is None or value >= var.minimum)
            and (var.maximum is None or value <= var.maximum))


def _range_text(var: Var) -> str:
    if var.maximum is None:
        return f"a number >= {var.minimum:g}" if var.minimum is not None else "a number"
    return f"a number {var.minimum:g}-{var.maximum:g}"


def _to_str(raw: Any) -> tuple[Any, str | None]:
    if isinstance(raw, (dict, list)):
        return None, "must be text"
    return str(raw), None


def _to_path(raw: Any) -> tuple[Any, str | None]:
    value, problem = _to_str(raw)
    return (None, problem) if problem else (os.path.expanduser(value), None)


def _to_int(raw: Any) -> tuple[Any, str | None]:
    if isinstance(raw, bool):
        return None, "must be an integer"
    try:
        number = float(raw)
        if number != int(number):
            return None, "must be an integer"
        return int(number), None
    except (TypeError, ValueError, OverflowError):
        return None, "must be an integer"


def _to_float(raw: Any) -> tuple[Any, str | None]:
    if isinstance(raw, bool):
        return None, "must be a number"
    try:
        number = float(raw)
    except (TypeError, ValueError):
        return None, "must be a number"
    if number != number or number in (float("inf"), float("-inf")):
        return None, "must be a finite number"
    return number, None


def _to_bool(raw: Any) -> tuple[Any, str | None]:
    if isinstance(raw, bool):
        return raw, None
    text = str(raw).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE, None
    return None, "must be a boolean (true/false, yes/no)"


def _to_list(raw: Any) -> tuple[Any, str | None]:
    if isinstance(raw, (list, tuple)):
        return [str(x) for x in raw], None
    if isinstance(raw, str):
        return [x.strip() for x in raw.split(",") if x.strip()], None
    return None, "must be a list or a comma-separated string"


_CONVERTERS = {"str": _to_str, "path": _to_path, "int": _to_int, "float": _to_float,
               "bool": _to_bool, "list": _to_list}
_TEMPLATE = {"type": "string", "pattern": r"\{\{|\{%"}


def _schema(var: Var) -> dict[str, Any]:
    doc: dict[str, Any] = {"description": var.description or var.option}
    if var.choices:
        kind: dict[str, Any] = {"type": "string", "enum": list(var.choices)}
    else:
        kind = {"type": _JSON_TYPE[var.type]}
        if var.type == "list":
            kind = {"type": ["array", "string"]}
        if var.minimum is not None:
            kind["minimum"] = var.minimum
        if var.maximum is not None:
            kind["maximum"] = var.maximum
    if var.default is not None:
        doc["default"] = var.default
    doc["anyOf"] = [kind, _TEMPLATE]  # a templated value is checked once rendered
    return doc


def transport_tables() -> list[VarTable]:
    """The tables of every registered transport that declares one (imports them)."""
    from checker.transports.base import get_transport, known_transports

    tables: dict[int, VarTable] = {}
    for name in known_transports():
        table = getattr(get_transport(name), "variables", None)
        if isinstance(table, VarTable):
            tables.setdefault(id(table), table)
    return list(tables.values())


def docs_markdown() -> str:
    head = ("# Transport variables\n\nGenerated from the tables in `checker/transports/` by\n"
            "`python -m checker.transports.variables > docs/transport-variables.md`; do not "
            "edit by hand.\nWhen a host sets several names of one option, the last one listed "
            "wins, as in Ansible's\nconnection plugins.\n")
    return head + "".join("\n" + t.markdown() for t in transport_tables())


if __name__ == "__main__":  # the package's own module, not this __main__ copy
    from checker.transports import variables

    print(variables.docs_markdown(), end="")

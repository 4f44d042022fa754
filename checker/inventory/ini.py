"""Ansible INI inventories, parsed as ansible-core's ini plugin parses them.

`[group]` host lines (`dc[01:03] ansible_port=5986`, shlex-split, values read as Python
literals), `[group:vars]` (`key=value`, the whole rest of the line), `[group:children]`.
A child group or a `:vars` section naming a group that is never defined is an error, as in
ansible-core (ansible/plugins/inventory/ini.py).
"""

from __future__ import annotations

import ast
import re
import shlex
import warnings
from dataclasses import dataclass, field
from typing import Any

from checker.errors import InventoryError
from checker.inventory.data import InventoryData, Where
from checker.inventory.hostnames import RangeError, expand

_SECTION = re.compile(r"^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$")
_GROUP_NAME = re.compile(r"^([^:\]\s]+)\s*(?:#.*)?$")


@dataclass
class _Pending:
    """A group named before it is defined: by `[x:vars]` or as a child in `[p:children]`."""

    state: str
    line: int
    parents: list[str] = field(default_factory=list)


def parse_ini(text: str, src: str, data: InventoryData) -> None:
    if text.startswith("\ufeff"):  # ansible-core fails on it too, with a riddle of a message
        raise Where(src, 1).error("the file starts with a UTF-8 byte order mark (BOM), which "
                                  "Ansible's INI parser does not accept either: save it as "
                                  "UTF-8 without BOM")
    pending: dict[str, _Pending] = {}
    group, state = "ungrouped", "hosts"
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s[0] in "#;":
            continue
        where = Where(src, n)
        m = _SECTION.match(s)
        if m:
            group, state = m.group(1), m.group(2) or "hosts"
            _section(data, group, state, where, pending)
        elif s.startswith("[") and s.endswith("]"):
            raise where.error(f"invalid section entry {s!r}: no spaces or other invalid "
                              "characters are allowed in a section name")
        elif state == "hosts":
            _hosts_line(data, group, s, where)
        elif state == "vars":
            if "=" not in s:
                raise where.error(f"expected key=value, got {s!r}")
            key, value = (e.strip() for e in s.split("=", 1))
            data.set_group_var(group, key, literal(value), where)
        else:
            _child_line(data, group, s, where, pending)
    for name, p in pending.items():
        if p.state == "vars":
            raise InventoryError(f"section [{name}:vars] is not valid for undefined group "
                                 f"{name!r}", src, p.line)
        raise InventoryError(f"section [{p.parents[-1]}:children] includes undefined group "
                             f"{name!r}", src, p.line)


def _section(data: InventoryData, group: str, state: str, where: Where,
             pending: dict[str, _Pending]) -> None:
    if state not in ("hosts", "children", "vars"):
        raise where.error(f"section [{group}:{state}] has unknown type: {state}")
    if group not in data.groups:
        if state == "vars" and group not in pending:
            pending[group] = _Pending(state, where.line or 0)
        data.add_group(group, where)
    if group in pending and state != "vars":
        if pending[group].state == "children":
            _adopt(data, group, pending, where)
        else:
            del pending[group]


def _adopt(data: InventoryData, group: str, pending: dict[str, _Pending], where: Where) -> None:
    for parent in pending[group].parents:
        data.add_child(parent, group, where)
        if parent in pending and pending[parent].state == "children":
            _adopt(data, parent, pending, where)
    del pending[group]


def _child_line(data: InventoryData, group: str, s: str, where: Where,
                pending: dict[str, _Pending]) -> None:
    m = _GROUP_NAME.match(s)
    if not m:
        raise where.error(f"expected a group name, got {s!r}")
    child = m.group(1)
    if child in data.groups:
        data.add_child(group, child, where)
    elif child in pending:
        pending[child].parents.append(group)
    else:
        pending[child] = _Pending("children", where.line or 0, [group])


def _hosts_line(data: InventoryData, group: str, s: str, where: Where) -> None:
    try:
        tokens = shlex.split(s, comments=True)
    except ValueError as e:
        raise where.error(f"cannot parse host definition {s!r}: {e}") from None
    if not tokens:
        return
    pattern = tokens[0]
    try:
        names, port = expand(pattern)
    except RangeError as e:
        raise where.error(str(e)) from None
    if pattern.strip().endswith(":") and port is None:
        raise where.error(f"invalid host pattern {pattern!r}: ending in ':' is not allowed, "
                          "this character is reserved to provide a port")
    if "---" in (n.strip() for n in names):
        raise where.error(f"invalid host pattern {pattern!r}: '---' is normally a sign this "
                          "is a YAML file")
    variables: dict[str, Any] = {}
    for token in tokens[1:]:
        if "=" not in token:
            raise where.error(f"expected key=value host variable assignment, got {token!r}")
        key, value = token.split("=", 1)
        variables[key] = literal(value)
    for name in names:
        data.add_host(name, group, port, where)
        for key, value in variables.items():
            data.set_host_var(name, key, value, where)


def literal(text: str) -> Any:
    """An INI value as ansible-core reads it: a Python literal when it is one (`5986`,
    `True`, `['a']`), else the text; tuples and sets become lists, complex numbers and
    Ellipsis become text."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text
    return _coerce(value)


def _coerce(value: Any) -> Any:
    if isinstance(value, (list, tuple, set)):
        return [_coerce(v) for v in value]
    if isinstance(value, dict):
        return {k: _coerce(v) for k, v in value.items()}
    if value is Ellipsis:
        return "..."
    if isinstance(value, (complex, bytes)):
        return str(value)
    return value

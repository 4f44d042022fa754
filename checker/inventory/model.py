"""The inventory as the rest of checker sees it: hosts with merged variables and groups."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from checker.inventory.patterns import select

SECRET_NAME = re.compile(r"pass(word|wd)?($|_)|secret|token|_key$|^ansible_ssh_pass", re.I)


def is_secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name)) and not name.endswith(("_file", "_path"))


@dataclass(frozen=True)
class Host:
    name: str
    vars: Mapping[str, Any] = field(repr=False)  # may hold secrets: never in a repr
    groups: tuple[str, ...]  # every group the host is in, ancestors included, "all" first

    @property
    def connection(self) -> str:
        return str(self.vars.get("ansible_connection", "ssh"))

    def public_vars(self) -> dict[str, Any]:
        """Variables with secrets removed: what reports and expressions may see."""
        return {k: v for k, v in self.vars.items() if not is_secret_name(k)}

    def secret_values(self) -> set[str]:
        return {str(v) for k, v in self.vars.items() if is_secret_name(k) and v not in ("", None)}


@dataclass(frozen=True)
class Inventory:
    path: str
    hosts: Mapping[str, Host] = field(repr=False)  # in inventory order
    groups: Mapping[str, tuple[str, ...]]  # group -> host names (members of children included)
    children: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def select(self, pattern: str) -> list[Host]:
        names = select(pattern, list(self.hosts), self.groups)
        return [self.hosts[n] for n in names]

    def secret_values(self) -> set[str]:
        out: set[str] = set()
        for host in self.hosts.values():
            out |= host.secret_values()
        return out


def as_bool(value: Any, default: bool = False) -> bool:
    """Ansible-style truthiness of an inventory value ("yes", "True", 1, ...)."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on", "y"):
        return True
    if text in ("0", "false", "no", "off", "n"):
        return False
    raise ValueError(f"not a boolean: {value!r}")

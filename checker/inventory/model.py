"""The inventory as the rest of checker sees it: hosts with their variables, and groups.

Host variables are a lazy mapping (checker/inventory/templating.py): a variable is
rendered when first read. Group membership and pattern results follow ansible-core.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.errors import CheckerError, InputError
from checker.inventory.patterns import NO_HOSTS, Matcher, limit_terms, select, split_pattern

SECRET_NAME = re.compile(r"pass(word|wd)?($|_)|secret|token|_key$|^ansible_ssh_pass", re.I)


def is_secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name)) and not name.endswith(("_file", "_path"))


class PublicVars(Mapping[str, Any]):
    """A host's variables without the secret ones: what reports and expressions may see."""

    def __init__(self, source: Mapping[str, Any]) -> None:
        self._source = source

    def __getitem__(self, name: str) -> Any:
        if is_secret_name(name):
            raise KeyError(name)
        return self._source[name]

    def __iter__(self) -> Iterator[str]:
        return (n for n in self._source if not is_secret_name(n))

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass(frozen=True)
class Host:
    name: str
    vars: Mapping[str, Any] = field(repr=False)  # may hold secrets: never in a repr
    groups: tuple[str, ...]  # every group the host is in, ancestors included, "all" first

    @property
    def connection(self) -> str:
        return str(self.vars.get("ansible_connection", "ssh"))

    def public_vars(self) -> Mapping[str, Any]:
        return PublicVars(self.vars)

    def secret_values(self) -> set[str]:
        """The values of secret-named variables that render; one that does not render is
        never used, so it cannot leak (using it is an error)."""
        out: set[str] = set()
        for name in self.vars:
            if is_secret_name(name):
                try:
                    value = self.vars[name]
                except CheckerError:
                    continue
                if value not in ("", None):
                    out.add(str(value))
        return out


@dataclass(frozen=True)
class Inventory:
    path: str
    hosts: Mapping[str, Host] = field(repr=False)  # in inventory order
    groups: Mapping[str, Sequence[str]]  # group -> hosts, descendants' included (Ansible order)
    children: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    decrypted: Callable[[], set[str]] = field(default=set, repr=False)
    _cache: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)

    def select(self, pattern: str) -> list[Host]:
        names = self._cache.get(pattern)
        if names is None:
            names = self._cache[pattern] = select(pattern, list(self.hosts), self.groups)
        return [self.hosts[n] for n in names]

    def limit(self, pattern: str, warn: Callable[[str], None] | None = None) -> list[str]:
        """Hosts left by `--limit PATTERN` (inventory `all` order), warning for each term
        that matches nothing; none left is an error, worded as ansible-core words it."""
        matcher = Matcher(list(self.hosts), self.groups, warn)
        chosen = set(matcher.evaluate(limit_terms(pattern)))
        names = [h for h in matcher.evaluate(split_pattern("all")) if h in chosen]
        if not names:
            raise InputError(NO_HOSTS)
        return names

    def secret_values(self, hosts: Sequence[str] | None = None) -> set[str]:
        """Every value to mask: secret-named variables and everything decrypted from vault."""
        out = set(self.decrypted())
        for name in self.hosts if hosts is None else hosts:
            out |= self.hosts[name].secret_values()
        return out

    def graph(self, group: str = "all") -> list[str]:
        """The group tree, as `ansible-inventory --graph` prints it."""
        if group not in self.children:
            raise InputError(f"--graph: {group!r} is not a group of the inventory")
        lines: list[str] = []
        self._graph(group, 0, lines)
        return lines

    def _graph(self, group: str, depth: int, lines: list[str]) -> None:
        lines.append(_graph_name(f"@{group}:", depth))
        for child in self.children[group]:
            self._graph(child, depth + 1, lines)
        if group != "all":
            lines.extend(_graph_name(h, depth + 1) for h in self.direct_hosts(group))

    def direct_hosts(self, group: str) -> list[str]:
        below = {h for c in self.children[group] for h in self.groups[c]}
        own = getattr(self.groups, "own", None)
        if own is not None:
            return list(own(group))
        return [h for h in self.groups[group] if h not in below]


def _graph_name(name: str, depth: int) -> str:
    return "  |" * depth + "--" + name if depth else name


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

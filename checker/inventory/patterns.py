"""Ansible host patterns, evaluated as ansible-core's InventoryManager evaluates them.

`all`, group and host names, globs (`dc*`), `~regex` (matched at the start of the name,
Python's re.match), subscripts on a group (`dcs[0]`, `dcs[1:]`, `dcs[-1]`), `!exclude`,
`&intersect`, separated by `,` (or `:` when there is no comma). Plain terms are added in
order, then `&` terms intersect, then `!` terms remove (order_patterns). A term that
matches nothing warns "Could not match supplied host pattern, ignoring: TERM", exactly as
ansible-core does. `--limit` also takes `@FILE`: one pattern per line.
(ansible/inventory/manager.py: split_host_pattern, _evaluate_patterns, _match_one_pattern,
_enumerate_matches, _apply_subscript, subset.)
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from checker.errors import InputError
from checker.inventory.hostnames import split_port

Warn = Callable[[str], None]
_SUBSCRIPT = re.compile(r"^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$")
_TERMS = re.compile(r"(?:[^\s:\[\]]|\[[^\]]*\])+")
NO_MATCH = "Could not match supplied host pattern, ignoring: {}"
DASH_SUBSCRIPT = "Use [x:y] inclusive subscripts instead of [x-y] which has been removed"
NO_HOSTS = "Specified inventory, host pattern and/or --limit leaves us with no hosts to target."


def split_pattern(pattern: str) -> list[str]:
    if "," in pattern:
        parts = pattern.split(",")
    elif split_port(pattern)[1] is not None:
        parts = [pattern]  # host:port is one address, as in ansible-core
    else:
        parts = _TERMS.findall(pattern)
    return [p.strip() for p in parts if p.strip()]


def order_patterns(terms: Sequence[str]) -> list[str]:
    plain = [t for t in terms if t and t[0] not in "!&"]
    both = [t for t in terms if t and t[0] == "&"]
    minus = [t for t in terms if t and t[0] == "!"]
    return [*(plain or ["all"]), *both, *minus]


class Matcher:
    """Evaluates patterns over one inventory: `hosts` in inventory order, `groups` mapping
    each group to its hosts in ansible-core's order."""

    def __init__(self, hosts: Sequence[str], groups: Mapping[str, Sequence[str]],
                 warn: Warn | None = None) -> None:
        self.hosts, self.groups, self.warn = hosts, groups, warn
        self._host_set = set(hosts)

    def evaluate(self, terms: Sequence[str]) -> list[str]:
        chosen: list[str] = []
        for term in order_patterns(terms):
            if term in self._host_set:
                chosen.append(term)
                continue
            that = self.match_one(term)
            if term[0] == "!":
                drop = set(that)
                chosen = [h for h in chosen if h not in drop]
            elif term[0] == "&":
                keep = set(that)
                chosen = [h for h in chosen if h in keep]
            else:
                chosen.extend(that)
        return list(dict.fromkeys(chosen))

    def match_one(self, term: str) -> list[str]:
        body = term[1:] if term[0] in "!&" else term
        expr, subscript = _split_subscript(body)
        if subscript is not None and subscript[2] == "-" and self.warn:
            self.warn(DASH_SUBSCRIPT)
        found = self._enumerate(expr)
        if not found or subscript is None:
            return found
        start, end, _ = subscript
        try:
            if not end:  # ansible-core: `[x]` and `[x:0]` both take one host
                return [found[start]]
            return found[start:(len(found) - 1 if end == -1 else end) + 1]
        except IndexError:
            raise InputError(f"No hosts matched the subscripted pattern '{body}'") from None

    def _enumerate(self, expr: str) -> list[str]:
        if expr == "all" and "all" not in self.groups:
            return list(self.hosts)
        rx = _compile(expr)
        groups = [g for g in self.groups if rx.match(g)]
        found = [h for g in groups for h in self.groups[g]]
        if not groups or expr[0] == "~" or any(c in expr for c in ".?*["):
            found += [h for h in self.hosts if rx.match(h)]
        if not found and not groups and expr != "all" and self.warn:
            self.warn(NO_MATCH.format(expr))
        return found


def _compile(expr: str) -> re.Pattern[str]:
    try:
        return re.compile(expr[1:] if expr[0] == "~" else fnmatch.translate(expr))
    except re.error:
        raise InputError(f"Invalid host list pattern: {expr}") from None


def _split_subscript(expr: str) -> tuple[str, tuple[int, int | None, str] | None]:
    """The name and (start, end, separator) of `name[i]`, `name[x:y]` or `name[x-y]`."""
    if expr[0] == "~":
        return expr, None
    m = _SUBSCRIPT.match(expr)
    if not m:
        return expr, None
    name, index, start, sep, end = m.groups()
    if index:
        return name, (int(index), None, "")
    return name, (int(start), int(end) if end else -1, sep)


def select(pattern: str, hosts: Sequence[str], groups: Mapping[str, Sequence[str]],
           warn: Warn | None = None) -> list[str]:
    """Host names matched by an Ansible pattern (a rule's `hosts:`)."""
    return Matcher(hosts, groups, warn).evaluate(split_pattern(pattern))


def limit_terms(limit: str) -> list[str]:
    """`--limit` terms: `@FILE` stands for the file's lines (ansible-core's subset())."""
    terms: list[str] = []
    for term in split_pattern(limit):
        if term[0] != "@":
            terms.append(term)
            continue
        path = Path(term[1:])
        if not path.exists():
            raise InputError(f"Unable to find limit file {path}")
        if not path.is_file():
            raise InputError(f'Limit starting with "@" must be a file, not a directory: {path}')
        try:
            terms += [line.strip() for line in path.read_text(encoding="utf-8").split("\n")]
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"cannot read limit file: {e}", str(path)) from None
    return terms

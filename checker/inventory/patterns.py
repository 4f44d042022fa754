"""Ansible host patterns: `all`, groups, hosts, globs, `~regex`, `!exclude`, `&intersect`.

Terms are separated by `,` or `:`. The union of the plain terms is intersected with each
`&` term, then each `!` term is removed; order of the inventory is kept.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence

from checker.errors import InputError


def split_pattern(pattern: str) -> list[str]:
    # Ansible splits on commas, or on colons when there is no comma.
    parts = pattern.split(",") if "," in pattern else pattern.split(":")
    return [p.strip() for p in parts if p.strip()]


def _match_term(term: str, hosts: Sequence[str], groups: Mapping[str, Sequence[str]]) -> set[str]:
    if term in ("all", "*"):
        return set(hosts)
    if term in groups:
        return set(groups[term])
    if term in hosts:
        return {term}
    if term.startswith("~"):
        try:
            rx = re.compile(term[1:])
        except re.error as e:
            raise InputError(f"invalid host pattern {term!r}: {e}") from None
        names = {h for h in hosts if rx.search(h)}
        return names | {h for g, m in groups.items() if rx.search(g) for h in m}
    if any(c in term for c in "*?["):
        names = {h for h in hosts if fnmatch.fnmatchcase(h, term)}
        return names | {h for g, m in groups.items() if fnmatch.fnmatchcase(g, term) for h in m}
    return set()


def select(pattern: str, hosts: Sequence[str], groups: Mapping[str, Sequence[str]]) -> list[str]:
    """Host names matched by an Ansible pattern, in inventory order."""
    chosen: set[str] = set()
    plain_seen = False
    intersect: list[set[str]] = []
    exclude: set[str] = set()
    for term in split_pattern(pattern):
        if term.startswith("!"):
            exclude |= _match_term(term[1:], hosts, groups)
        elif term.startswith("&"):
            intersect.append(_match_term(term[1:], hosts, groups))
        else:
            plain_seen = True
            chosen |= _match_term(term, hosts, groups)
    if not plain_seen:
        chosen = set(hosts)
    for other in intersect:
        chosen &= other
    chosen -= exclude
    return [h for h in hosts if h in chosen]

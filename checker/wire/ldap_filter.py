"""Building LDAP filters from values safely: RFC 4515 escaping, never string splicing."""

from __future__ import annotations

import re
from collections.abc import Iterable

_ATTR = re.compile(r"^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$")


def escape(value: str | int) -> str:
    """Escape `*`, `(`, `)`, `\\` and NUL (RFC 4515) so a value matches only itself."""
    from ldap3.utils.conv import escape_filter_chars  # lazy: rule validation needs no ldap3

    return str(escape_filter_chars(str(value)))


def attribute(name: str) -> str:
    """An attribute description as given, or ValueError: names are never escaped, only checked."""
    if not _ATTR.match(name):
        raise ValueError(f"not an LDAP attribute name: {name!r}")
    return name


def eq(name: str, value: str | int) -> str:
    """`(name=value)` with the value escaped."""
    return f"({attribute(name)}={escape(value)})"


def any_of(name: str, values: Iterable[str | int]) -> str:
    """`(|(name=v1)(name=v2)...)`, each value escaped; a single value needs no `|`."""
    terms = [eq(name, v) for v in values]
    if not terms:
        raise ValueError("any_of needs at least one value")
    return terms[0] if len(terms) == 1 else f"(|{''.join(terms)})"

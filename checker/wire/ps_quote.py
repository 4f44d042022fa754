"""PowerShell literals for values templated into scripts: quoted by type, never spliced.

Strings become single-quoted verbatim literals (no `$` expansion, no escapes), with every
single-quote character doubled, including the typographic ones PowerShell also accepts as
quotes (U+2018..U+201B). A string with a line break becomes a parenthesised concatenation
(`('a' + [char]13 + [char]10 + 'b')`) so that no literal spans lines: templated into a
comment by a rule author, a value can then never end the comment and start a statement.
Line separators editors honour (NEL, LS, PS, VT, FF) are written as [char] too, so what a
reviewer sees is what PowerShell parses. So are the characters that hide or reorder text
(C0/C1 controls such as ESC, bidirectional overrides, zero-width characters): inside a literal
they are data to PowerShell, but `cat` of a .ps1 ran their escape sequences in the reviewer's
terminal and an override showed the line in another order (Trojan Source). Numbers and
booleans become typed literals.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from checker.redact import PS_SPELLED  # line breaks and hidden characters: each as [char]N

_QUOTES = "'\u2018\u2019\u201a\u201b"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_CMDLET = re.compile(r"[A-Za-z]+-[A-Za-z][A-Za-z0-9]*\Z")


def quote_string(value: str) -> str:
    """`it's` -> `'it''s'`: a string expression PowerShell reads back unchanged, on one line."""
    if not PS_SPELLED.search(value):
        return _verbatim(value)
    parts = [_verbatim(p) if i % 2 == 0 else f"[char]{ord(p)}"
             for i, p in enumerate(PS_SPELLED.split(value)) if p or i == 0]
    return "(" + " + ".join(parts) + ")"


def _verbatim(value: str) -> str:
    return "'" + "".join(c + c if c in _QUOTES else c for c in value) + "'"


def literal(value: Any) -> str:
    """A PowerShell expression that evaluates to `value` (str, int, float, bool, None, lists,
    mappings with string keys). Anything else is a TypeError: never `str()` it in."""
    if value is None:
        return "$null"
    if isinstance(value, bool):
        return "$true" if value else "$false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError(f"cannot pass non-finite number {value!r} to PowerShell")
        return f"([double]{quote_string(repr(value))})"
    if isinstance(value, str):
        return quote_string(value)
    if isinstance(value, (list, tuple)):
        return "@(" + ", ".join(literal(v) for v in value) + ")"
    if isinstance(value, Mapping):
        entries = "; ".join(f"{quote_string(str(k))} = {literal(v)}" for k, v in value.items())
        return "@{" + entries + "}"
    raise TypeError(f"cannot pass a {type(value).__name__} to PowerShell")


def variable_name(name: str) -> str:
    """Checks a parameter name is a plain PowerShell variable name."""
    if not _NAME.match(name):
        raise ValueError(f"invalid PowerShell variable name {name!r}")
    return name


def assignment(name: str, value: Any) -> str:
    return f"${variable_name(name)} = {literal(value)}"


def cmdlet_name(name: str) -> str:
    """Checks a command name is a plain Verb-Noun cmdlet name."""
    if not _CMDLET.match(name):
        raise ValueError(f"invalid cmdlet name {name!r} (Verb-Noun)")
    return name


def command_line(name: str, parameters: Mapping[str, Any]) -> str:
    """`Set-X -Identity 'a' -Enabled:$true`: each value a literal, never spliced text.
    Booleans bind with a colon, which suits [bool] and [switch] parameters alike."""
    parts = [cmdlet_name(name)]
    for key, value in parameters.items():
        flag = f"-{variable_name(key)}"
        parts.append(f"{flag}:{literal(value)}" if isinstance(value, bool)
                     else f"{flag} {literal(value)}")
    return " ".join(parts)

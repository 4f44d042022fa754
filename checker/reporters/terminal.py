"""Text for a terminal: data from a directory is data, never terminal control.

An attribute value can hold escape sequences (recolour, move the cursor, retitle the window,
write a hyperlink), a carriage return that makes the rest of a line overwrite its start, or
bidirectional overrides that reorder what the reader sees. `plain` removes them all. A line
break in a value meant for one line (a host, an object, a name, a warning) would start a line
that reads as checker's own ('Summary: 0 fail. Exit code 0.'): `line` makes it a space.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Callable, Mapping
from typing import Any

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), and the other two-byte ESC sequences
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]?|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -~]?")
# C0 and C1 controls except tab and newline; DEL; bidirectional embeddings, overrides and
# isolates, and the bidi marks (LRM, RLM, ALM), which reorder the neutral characters
# around them just as well
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f"
                       "\u202a-\u202e\u2066-\u2069]")


def plain(text: str) -> str:
    """`text` without escape sequences or control characters; CR and CR LF become LF."""
    if text.isprintable():  # the common case: nothing to do
        return text
    text = _ESCAPES.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", text)


def line(text: str) -> str:
    """`text` for a one-line place: `plain`, and its line breaks as spaces."""
    return one_line(plain(text))


def one_line(text: str) -> str:
    """Already plain text for a one-line place (our own colour escapes kept)."""
    return text.replace("\n", " ")


def cleaned(value: Any, text: Callable[[str], str] = plain) -> Any:
    """A copy of a report (frozen records, tuples, mappings) with `text` applied to every
    string in it; enum members and other values are kept as they are."""
    if isinstance(value, enum.Enum):
        return value
    if isinstance(value, str):
        return text(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: cleaned(getattr(value, f.name), text)
                   for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    if isinstance(value, (tuple, list)):
        return type(value)(cleaned(v, text) for v in value)
    if isinstance(value, Mapping):
        return {cleaned(k, text): cleaned(v, text) for k, v in value.items()}
    return value

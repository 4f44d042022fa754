"""Neutralise a value for the place it is written into: a PowerShell comment, a Markdown
line, table cell or code span, a file name. Host names, task names, steps and inventory paths
come from the directory, the inventory and the rules: they are data, never markup or code.
plan.md and the markdown report both escape with these (the report ranks above remediation).

PowerShell ends a line comment at CR or LF only (CharTraits.cs in PowerShell/PowerShell marks
just those two as Newline; U+0085, U+2028 and U+2029 are whitespace to it), and a block
comment at `#>`. Editors, Markdown viewers and tree-sitter break lines at more characters, so a
one-line context drops every line separator any of them honours, and the control characters
that hide text from a reviewer (bidirectional overrides, zero-width characters).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from checker.errors import CheckerError

# Every line break a reader might honour: CRLF, CR, LF, VT, FF, FS/GS/RS, NEL, LS, PS.
BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")
# C0/C1 controls (tab aside), DEL, zero-width and bidirectional formatting characters.
_HIDDEN = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u200b-\u200f\u202a-\u202e"
                     r"\u2060-\u2064\u2066-\u2069\ufeff]")
# Markdown punctuation that can open markup inline (links, images, code, emphasis, tables,
# headings' closing #s, strikethrough, raw HTML's `<`), backslash-escaped; `&<>` become entities.
_MD_PUNCT = re.compile(r"([\\`*_\[\]()|~#!{}])")
# Block markers at the start of a line: list, setext underline, ordered list (`1.` becomes
# `1\.`: a backslash before a digit is no escape in CommonMark). A quote's `>` is `&gt;` by
# then: blocks are found before entities are read, so it opens nothing.
_MD_LEADING = re.compile(r"^(?:([+=-])|(\d+)([.)]))")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def visible(value: object) -> str:
    """Hidden characters replaced by U+FFFD; line breaks kept (normalised to LF)."""
    return _HIDDEN.sub("\ufffd", BREAKS.sub("\n", str(value)))


def lines(value: object) -> list[str]:
    """A multi-line value split at every line break a reader might honour."""
    return visible(value).split("\n")


def one_line(value: object) -> str:
    """A value for a one-line context: line breaks and tabs become spaces."""
    return " ".join(lines(value)).replace("\t", " ")


def ps_comment(value: object) -> str:
    """Text for a PowerShell `#` comment: one line, and no block-comment delimiters."""
    return one_line(value).replace("#>", "# >").replace("<#", "< #")


def md_inline(value: object) -> str:
    """Inline Markdown text: markup punctuation escaped, HTML as entities (`&#x202e;` in a
    value stays text), one line, and no block marker at its start."""
    escaped = "".join(_HTML.get(c, c) for c in _MD_PUNCT.sub(r"\\\1", one_line(value)))
    return _MD_LEADING.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", escaped)


def md_lines(value: object) -> list[str]:
    """Paragraph lines: each escaped, with no block marker (list, quote, heading) at its start."""
    return [md_inline(line.strip()) for line in lines(value)]


def md_cell(value: object) -> str:
    """A table cell: each line escaped (a `|` too), line breaks as `<br>`, so the row stays
    one line whatever line separator the value holds."""
    if value is None:
        return ""
    return "<br>".join(md_inline(line) for line in lines(str(value).strip("\r\n")))


def md_code(value: object) -> str:
    """An inline code span, fenced past any backtick run in the value; one line, and `|`
    escaped (GitHub reads it as a cell border even in a code span)."""
    body = one_line(value).replace("|", "\\|")
    ticks = "`" * (max((len(m) for m in re.findall("`+", body)), default=0) + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{ticks}{pad}{body}{pad}{ticks}"


def md_fence(body: str, lang: str) -> list[str]:
    """A fenced code block, longer than any backtick run inside, so nothing closes it early."""
    shown = lines(body.rstrip())
    longest = max((len(m) for m in re.findall("`+", "\n".join(shown))), default=0)
    ticks = "`" * max(3, longest + 1)
    return [ticks + lang, *shown, ticks]


# Windows refuses these as file names whatever the extension (the scripts end up there).
_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
            *(f"LPT{i}" for i in range(10))}
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]")
NAME_MAX = 255  # bytes, POSIX and NTFS alike; our names are ASCII after the substitution


def file_stems(names: Iterable[str], suffix: str) -> dict[str, str]:
    """A distinct, portable file stem per name: `[A-Za-z0-9._-]` only, never hidden or a
    Windows device name, short enough for NAME_MAX with `suffix`, and unique even on a
    case-insensitive file system. A name that had to change gets a short hash of itself."""
    limit = NAME_MAX - len(suffix.encode())
    stems = {n: _stem(n, limit) for n in names}
    while True:  # a hashed stem can be another host's plain name: hash that one too, again
        seen: dict[str, list[str]] = {}
        for name, stem in stems.items():
            seen.setdefault(stem.casefold(), []).append(name)
        hashed = {name: _hashed(_UNSAFE_CHARS.sub("_", name), name, limit)
                  for group in seen.values() if len(group) > 1 for name in group}
        if not hashed:
            return stems
        if all(stems[name] == stem for name, stem in hashed.items()):
            raise CheckerError(f"host names {', '.join(sorted(hashed))} map to one file name")
        stems.update(hashed)


def _stem(name: str, limit: int) -> str:
    stem = _UNSAFE_CHARS.sub("_", name)
    if stem.startswith("."):
        stem = "_" + stem[1:]
    if stem.split(".")[0].upper() in _DEVICES:
        stem = "_" + stem
    if stem != name or len(stem) > limit or not stem:
        return _hashed(stem, name, limit)
    return stem


def _hashed(stem: str, name: str, limit: int) -> str:
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{stem.lstrip('.')[: limit - len(digest) - 1]}-{digest}"

"""Where a place in PowerShell source sits: in code, or inside a string or a block comment.

A templated value becomes a complete literal (`checker.wire.ps_quote.literal`), which is data
only where a literal can stand: in code. Inside a double-quoted string or here-string the
literal's quotes are text and `$(...)` in the value runs; inside a single-quoted string the
literal's own quotes end the string; inside a block comment a `#>` in the value ends it. A
line comment is harmless: a literal never holds a line break.

This follows PowerShell's tokenizer (PowerShell/PowerShell `engine/parser/tokenizer.cs`,
`CharTraits.cs`): the quote characters it accepts (`'` and U+2018..U+201B, `"` and
U+201C..U+201E), doubled quotes and the backtick as escapes, `$(...)` nested in a
double-quoted string, here-strings closed by a line that starts with the quote and `@`, `<#`
to `#>`, `#` to the end of the line where a token can start, and `${braced variable names}`.
tests/unit/test_ps_scan.py checks it against tree-sitter-powershell.
"""

from __future__ import annotations

import bisect

SINGLE = "'\u2018\u2019\u201a\u201b"
DOUBLE = '"\u201c\u201d\u201e'
_BREAKS = "\r\n"
VALUE = "\ue000"  # stands for a templated literal (a quoted token) in a template's text
# `#` opens a comment where a token starts: not inside a bare word (`a#b` is one word)
_TOKEN_ENDS = " \t\f\v\r\n;|&(){},=\u00a0" + SINGLE + DOUBLE + VALUE

Span = tuple[int, int, str]  # [start, end) and what it is


def quoted_spans(text: str) -> list[Span]:
    """The strings, here-strings and block comments of `text`, outermost, in order."""
    spans: list[Span] = []
    _code(text, 0, spans, nested=False)
    return spans


def context_at(spans: list[Span], offset: int) -> str | None:
    """What `offset` is inside ("double-quoted string", ...), or None in code."""
    i = bisect.bisect_left([start for start, _, _ in spans], offset) - 1
    return spans[i][2] if i >= 0 and offset < spans[i][1] else None


def _code(text: str, i: int, spans: list[Span], nested: bool) -> int:
    """Scan code from `i`; nested code (in `$(...)`) ends at its unmatched `)`."""
    depth = 0
    while i < len(text):
        c = text[i]
        if nested and c == ")" and depth == 0:
            return i + 1
        depth += (c == "(") - (c == ")")
        end, kind = _construct(text, i)
        if kind is not None:
            if kind != "line comment":
                spans.append((i, end, kind))
            i = end
        else:
            i += 2 if c == "`" else 1  # a backtick escapes the next character
    return len(text)


def _construct(text: str, i: int) -> tuple[int, str | None]:
    """The end of the string or comment that starts at `i`, and its kind (None: none)."""
    c, nxt = text[i], text[i + 1:i + 2]
    if c == "<" and nxt == "#":
        end = text.find("#>", i + 2)
        return (len(text) if end < 0 else end + 2), "block comment"
    if c == "#" and (i == 0 or text[i - 1] in _TOKEN_ENDS):
        return _line_end(text, i), "line comment"
    if c == "@" and nxt and nxt in SINGLE + DOUBLE and _opens_here_string(text, i + 2):
        return _here_end(text, i + 2, nxt in DOUBLE), "here-string"
    if c == "$" and nxt == "{":  # ${name}: any character but `}` (or `` `} ``) is the name
        return _braced_end(text, i + 2), "braced variable name"
    if c in SINGLE:
        return _single_end(text, i + 1), "single-quoted string"
    if c in DOUBLE:
        return _double_end(text, i + 1), "double-quoted string"
    return i, None


def _line_end(text: str, i: int) -> int:
    ends = [j for j in (text.find(b, i) for b in _BREAKS) if j >= 0]
    return min(ends, default=len(text))


def _opens_here_string(text: str, i: int) -> bool:
    """`@"` or `@'` opens a here-string only when nothing but blanks follows on its line."""
    return text[i:_line_end(text, i)].strip(" \t") == "" and _line_end(text, i) < len(text)


def _here_end(text: str, i: int, double: bool) -> int:
    """A here-string ends at a line that starts with its quote character and `@`."""
    quotes = DOUBLE if double else SINGLE
    j = _line_end(text, i)
    while j < len(text):
        j += 2 if text.startswith("\r\n", j) else 1
        if text[j:j + 1] and text[j] in quotes and text[j + 1:j + 2] == "@":
            return j + 2
        j = _line_end(text, j)
    return len(text)


def _braced_end(text: str, i: int) -> int:
    while i < len(text) and text[i] != "}":
        i += 2 if text[i] == "`" else 1
    return min(i + 1, len(text))


def _single_end(text: str, i: int) -> int:
    while i < len(text):
        if text[i] in SINGLE:
            if text[i + 1:i + 2] and text[i + 1] in SINGLE:
                i += 2  # a doubled quote is one quote character
                continue
            return i + 1
        i += 1
    return len(text)


def _double_end(text: str, i: int) -> int:
    while i < len(text):
        c = text[i]
        if c == "`":
            i += 2
        elif c in DOUBLE:
            if text[i + 1:i + 2] and text[i + 1] in DOUBLE:
                i += 2
                continue
            return i + 1
        elif text.startswith("$(", i):
            i = _code(text, i + 2, [], nested=True)
        else:
            i += 1
    return len(text)

"""Remove secret values from anything that leaves the process (reports, snapshots, history,
remediation files, logs).

A secret rarely leaks verbatim: it leaks as `repr()` put it in a message (backslashes
doubled), JSON- or YAML-escaped, HTML/XML-escaped, URL-encoded, quoted for PowerShell (single
quotes doubled, or backticks in a double-quoted string), in base64 (a header, an
-EncodedCommand), or one of these inside another (a PowerShell literal in a JSON report).
The redactor masks every such form.
"""

from __future__ import annotations

import base64
import html
import json
import re
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

MASK = "********"
MIN_SECRET = 4  # shorter values (e.g. "1") would mask unrelated text; nobody relies on them
MIN_BASE64 = 8  # base64 fragments shorter than this match random text too often
_ALNUM = re.compile(r"[A-Za-z0-9]+")


def _ps_single(s: str) -> str:
    return re.sub("(['\u2018\u2019\u201a\u201b])", r"\1\1", s)


def _ps_double(s: str) -> str:
    return re.sub('([`"$\u201c\u201d\u201e])', r"`\1", s)


def _xml_numeric(s: str) -> str:
    """Markupsafe/Jinja's escaping: numeric references for quotes."""
    return html.escape(s, quote=False).replace('"', "&#34;").replace("'", "&#39;")


# Characters checker.wire.ps_quote writes as `[char]N` outside the quotes of a literal: line
# breaks, and characters that hide or reorder text. Defined here, below the wire formats, as
# the redactor must know that spelling too.
PS_SPELLED = re.compile("([\x00-\x08\n-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e"
                        "\u2060-\u2064\u2066-\u2069\ufeff])")


def _ps_literal(s: str) -> str:
    """Inside a ps_quote literal, `Pa<BEL>ss` is `Pa' + [char]7 + 'ss`: neither the plain nor
    the quoted form matches it."""
    spelled = re.sub(f"(?:{PS_SPELLED.pattern})+", lambda m: "' + " + " + ".join(
        f"[char]{ord(c)}" for c in m[0]) + " + '", _ps_single(s))
    return spelled.removeprefix("' + ").removesuffix(" + '")


def _yaml_double(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)[1:-1].replace("\\/", "/")


# Each takes the text form of a secret and gives it as some output would write it.
ENCODINGS: dict[str, Callable[[str], str]] = {
    "plain": lambda s: s,
    "repr": lambda s: repr(s)[1:-1],
    "backslash-doubled": lambda s: s.replace("\\", "\\\\"),
    "json": lambda s: json.dumps(s)[1:-1],
    "json-unicode": _yaml_double,
    "html": html.escape,
    "html-text": lambda s: html.escape(s, quote=False),
    "xml-numeric": _xml_numeric,
    "url": lambda s: urllib.parse.quote(s, safe=""),
    "url-lower": lambda s: re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(),
                                  urllib.parse.quote(s, safe="")),
    "url-path": urllib.parse.quote,
    "url-form": lambda s: urllib.parse.quote_plus(s, safe=""),
    "powershell-single": _ps_single,
    "powershell-double": _ps_double,
    "powershell-literal": _ps_literal,
}


def encoded_forms(secret: str) -> set[str]:
    """The secret in every encoding, and in every encoding of an encoding (two levels)."""
    once = {encode(secret) for encode in ENCODINGS.values()}
    return {encode(form) for form in once for encode in ENCODINGS.values()}


def base64_fragments(secret: str) -> set[str]:
    """The part of a base64 text that the secret alone determines, at each of the three
    byte alignments it can have inside a longer encoded text (UTF-8 and UTF-16LE, as
    PowerShell's -EncodedCommand uses; standard and URL-safe alphabets)."""
    out: set[str] = set()
    for data in (secret.encode("utf-8"), secret.encode("utf-16-le")):
        for pad in range(3):
            encoded = base64.b64encode(b"\0" * pad + data).decode().rstrip("=")
            start = -(-pad * 8 // 6)  # characters that also hold bits of what precedes
            end = (pad + len(data)) * 8 // 6  # characters made of the secret's bits only
            core = encoded[start:end]
            if len(core) >= MIN_BASE64:
                out |= {core, core.replace("+", "-").replace("/", "_")}
    return out


class _Secret:
    """One secret's forms, longest first, behind a cheap test: every textual form contains
    the secret's longest ASCII letters-and-digits run (no encoding above changes those)."""

    def __init__(self, secret: str) -> None:
        self.anchor = max(_ALNUM.findall(secret), key=len, default="")
        self.forms = sorted(encoded_forms(secret), key=len, reverse=True)
        self.fragments = sorted(base64_fragments(secret), key=len, reverse=True)
        self.shortest = min((len(f) for f in self.fragments), default=0)

    def mask(self, value: str) -> str:
        if self.anchor in value:
            for form in self.forms:
                if form in value:
                    value = value.replace(form, MASK)
        if self.fragments and len(value) >= self.shortest:
            for fragment in self.fragments:
                if fragment in value:
                    value = value.replace(fragment, MASK)
        return value


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is masked whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= MIN_SECRET},
                              key=len, reverse=True)
        self._masks = [_Secret(s) for s in self.secrets]

    def text(self, value: str) -> str:
        for secret in self._masks:
            value = secret.mask(value)
        return value

    def scrub(self, value: Any) -> Any:
        """A copy of a JSON-like value with every secret masked."""
        if not self.secrets:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.scrub(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.scrub(v) for v in value]
        return value

"""Ansible INI inventories: [group], [group:vars], [group:children], `host k=v ...`."""

from __future__ import annotations

import ast
import shlex
from typing import TYPE_CHECKING, Any

from checker.errors import InventoryError

if TYPE_CHECKING:
    from checker.inventory.loader import RawInventory


def _value(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _pairs(tokens: list[str], src: str, line: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for tok in tokens:
        if "=" not in tok:
            raise InventoryError(f"expected key=value, got {tok!r}", src, line)
        k, v = tok.split("=", 1)
        out[k.strip()] = _value(v.strip())
    return out


def parse_ini(text: str, src: str, raw: RawInventory) -> RawInventory:
    from checker.inventory.loader import Where

    raw.group("all")
    section, kind = "ungrouped", "hosts"
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s.startswith(("#", ";")):
            continue
        if s.startswith("["):
            if not s.endswith("]"):
                raise InventoryError("unterminated section header", src, n)
            name = s[1:-1].strip()
            section, _, kind = name.partition(":")
            kind = kind or "hosts"
            if kind not in ("hosts", "vars", "children"):
                raise InventoryError(f"unknown section kind {kind!r}", src, n)
            raw.group(section)
            if section != "all" and section not in raw.group("all").children:
                raw.group("all").children.append(section)
            continue
        try:
            tokens = shlex.split(s, comments=True)
        except ValueError as e:
            raise InventoryError(f"cannot parse line: {e}", src, n) from None
        if kind == "hosts":
            raw.add_host(section, tokens[0], _pairs(tokens[1:], src, n), Where(src, n))
        elif kind == "vars":
            values = _pairs([s] if "=" in s else tokens, src, n)
            raw.group(section).vars.update(values)
            raw.group(section).where.update({k: Where(src, n) for k in values})
        else:
            raw.group(tokens[0])
            if tokens[0] not in raw.group(section).children:
                raw.group(section).children.append(tokens[0])
    return raw

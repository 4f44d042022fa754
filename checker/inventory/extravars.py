"""`-e/--extra-vars`, read as ansible-core's load_extra_vars reads them.

`-e 'k=v k2="two words"'` (values are text; split as ansible-core's parse_kv splits them: at
spaces outside quotes and Jinja blocks, Python escapes such as `\\n` and `\\\\` decoded, any
other backslash kept, so `C:\\Temp` stays as typed), `-e '{"k": 1}'` (YAML or JSON mapping),
`-e @vars.yml` (a YAML or JSON file, vault-encrypted or not). Later `-e` options override
earlier ones; extra vars beat every inventory variable.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from checker.errors import InputError
from checker.inventory.data import Layer, Where
from checker.inventory.files import ExpansionBudget, Loading, strings
from checker.inventory.vault import VaultSecrets
from checker.yamlio import Located

OPTION = "--extra-vars"


def parse_extra_vars(values: Sequence[str], vault: VaultSecrets) -> Layer:
    layer = Layer()
    loading = Loading(vault, ExpansionBudget(), [])
    for value in values:
        text = value.strip()
        if text.startswith("@"):
            _file(layer, Path(text[1:]), loading)
        elif text.startswith(("{", "[")):
            _mapping(layer, loading.yaml(text, OPTION), OPTION)
        elif text:
            _pairs(layer, text)
    loading.decrypt_all()
    return layer


def _file(layer: Layer, path: Path, loading: Loading) -> None:
    if not str(path):
        raise InputError(f"{OPTION} @: give a file name after @")
    if not path.is_file():
        raise InputError(f"{OPTION}: no such file", str(path))
    text, encrypted = loading.text(path)
    data = loading.yaml(text, str(path))
    if encrypted:
        loading.vault.plaintexts |= strings(data)
    _mapping(layer, data, str(path))


def _mapping(layer: Layer, data: Any, source: str) -> None:
    if data is None:
        return
    if not isinstance(data, Mapping):
        raise InputError(f"{OPTION}: {source} could not be made into a mapping of variables")
    for key, value in data.items():
        line = data.line_of(str(key)) if isinstance(data, Located) else None
        layer.set(str(key), value, Where(source, line))


def _pairs(layer: Layer, text: str) -> None:
    for token in _split(text):
        token = _ESCAPE.sub(_unescape, token)
        key, value = _key_value(token)
        layer.set(key, _unquote(value), Where(OPTION))


_BLOCKS = (("{{", "}}"), ("{%", "%}"), ("{#", "#}"))
_ESCAPE = re.compile(r"\\(U[0-9a-fA-F]{8}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|N\{[^}]+\}"
                     r"|[\\'\"abfnrtv])")
_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _split(text: str) -> list[str]:
    """Words split at spaces and newlines, a quoted part or a Jinja block kept whole (a
    backslash before a quote makes it literal)."""
    words, word, quote, depth, i = [], "", "", [0, 0, 0], 0
    while i < len(text):
        pair = text[i:i + 2]
        for n, (start, end) in enumerate(_BLOCKS):
            depth[n] += (pair == start) - (pair == end and depth[n] > 0)
        step = 2 if any(pair in b for b in _BLOCKS) else 1
        char = text[i]
        if char in "'\"" and (i == 0 or text[i - 1] != "\\"):
            quote = "" if quote == char else quote or char
        if char in " \n" and not quote and not any(depth):
            words.append(word)
            word = ""
        else:
            word += text[i:i + step]
        i += step
    if quote or any(depth):
        raise InputError(f"{OPTION} {text!r}: unbalanced quotes or Jinja block")
    return [w for w in [*words, word] if w]


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if code[0] in "Uux":
        return chr(int(code[1:], 16))
    if code[0] == "N":
        try:
            return unicodedata.lookup(code[2:-1])
        except KeyError:
            raise InputError(f"{OPTION}: unknown character name {code!r}") from None
    return _SIMPLE.get(code, code)


def _key_value(token: str) -> tuple[str, str]:
    # the first '=' after the first character and not escaped ends the key (parse_kv)
    for pos in range(1, len(token)):
        if token[pos] == "=" and token[pos - 1] != "\\":
            return token[:pos].strip(), token[pos + 1:].strip()
    raise InputError(f"{OPTION}: expected key=value, got {token!r}")


def _unquote(value: str) -> str:
    if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"" and value[-2] != "\\":
        return value[1:-1]
    return value

"""`-e/--extra-vars`, read as ansible-core's load_extra_vars reads them.

`-e 'k=v k2="two words"'` (values are text), `-e '{"k": 1}'` (YAML or JSON mapping),
`-e @vars.yml` (a YAML or JSON file, vault-encrypted or not). Later `-e` options override
earlier ones; extra vars beat every inventory variable.
"""

from __future__ import annotations

import shlex
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
    try:
        tokens = shlex.split(text)
    except ValueError as e:
        raise InputError(f"{OPTION} {text!r}: {e}") from None
    for token in tokens:
        key, sep, value = token.partition("=")
        if not sep or not key:
            raise InputError(f"{OPTION}: expected key=value, got {token!r}")
        layer.set(key, value, Where(OPTION))

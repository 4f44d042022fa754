"""Inventory sources, as ansible-core's InventoryManager.parse_source reads them.

A source is a file, a folder (every file in it, recursively and sorted, except hidden ones,
group_vars/, host_vars/, vars_plugins/ and the ignored extensions), or a host list
(`dc01,dc02,`). A file is YAML when it has a YAML extension (or none) and holds a mapping,
INI otherwise, as ansible-core's yaml plugin declines what its ini plugin then reads.

Refused with a message, where ansible-core would run or load code: inventory scripts,
inventory plugin configurations (`plugin:`), TOML; and binary files.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from checker.errors import InputError, InventoryError
from checker.inventory.data import InventoryData, Where
from checker.inventory.files import Loading
from checker.inventory.hostnames import split_port
from checker.inventory.ini import parse_ini
from checker.inventory.yamlinv import parse_yaml_inventory

YAML_EXTENSIONS = ("", ".yml", ".yaml", ".json")
# ansible-core's INVENTORY_IGNORE_EXTS default: REJECT_EXTS + .orig, .cfg, .retry
IGNORE_EXTENSIONS = (".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst",
                     ".orig", ".cfg", ".retry")
_ALWAYS_IGNORED = re.compile(r"^\.|^host_vars$|^group_vars$|^vars_plugins$")


def is_host_list(source: str) -> bool:
    return "," in source and not os.path.exists(source)


def vars_folder(source: str) -> Path | None:
    """The folder whose group_vars/ and host_vars/ belong to this source."""
    if is_host_list(source):
        return None
    path = Path(source)
    return path if path.is_dir() else path.parent


class SourceReader:
    def __init__(self, loading: Loading,
                 ignore_extensions: Sequence[str] = IGNORE_EXTENSIONS) -> None:
        self.loading = loading
        self.ignored = re.compile("|".join(
            [_ALWAYS_IGNORED.pattern, *(re.escape(e) + "$" for e in ignore_extensions)]))
        self.data = InventoryData()

    def read(self, sources: Sequence[str]) -> InventoryData:
        for source in sources:
            self.source(source)
        self.data.reconcile()
        return self.data

    def source(self, source: str) -> None:
        if is_host_list(source):
            self._host_list(source)
            return
        path = Path(source)
        if path.is_dir():
            for entry in sorted(os.listdir(path)):
                if not self.ignored.search(entry):
                    self.source(str(path / entry))
        elif path.is_file():
            self._file(path)
        elif path.exists():  # a FIFO would block the read for ever
            raise InventoryError("not a regular file (a FIFO, socket or device): inventories "
                                 "are read from files only", source)
        else:
            raise InventoryError("inventory source not found", source)

    def _host_list(self, source: str) -> None:
        self.data.current_source = None
        for item in source.split(","):
            item = item.strip()
            if item and item not in self.data.hosts:
                name, port = split_port(item)
                self.data.add_host(name, "ungrouped", port, Where(source))

    def _file(self, path: Path) -> None:
        self.data.current_source = os.path.normpath(os.path.abspath(path))
        _refuse_code(path)
        text, _ = self.loading.text(path)
        if not text.strip():
            return  # ansible-core: an empty file is an empty INI inventory
        if path.suffix in YAML_EXTENSIONS:
            doc, error = self._yaml(text, str(path))
            if isinstance(doc, Mapping):
                parse_yaml_inventory(doc, str(path), self.data)
                return
            if path.suffix and not _looks_like_ini(text):  # report it as the YAML it is
                if error:
                    raise error
                parse_yaml_inventory(doc, str(path), self.data)
                return
        parse_ini(text, str(path), self.data)

    def _yaml(self, text: str, source: str) -> tuple[object, InputError | None]:
        try:
            return self.loading.yaml(text, source), None
        except InputError as e:
            return None, e


def _looks_like_ini(text: str) -> bool:
    return any(line.strip().startswith("[") for line in text.splitlines())


def _refuse_code(path: Path) -> None:
    if path.suffix == ".toml":
        raise InventoryError("TOML inventories are not supported: convert it with "
                             "`ansible-inventory -i FILE --list -y`", str(path))
    if os.access(path, os.X_OK):
        with open(path, "rb") as f:
            if f.read(2) == b"#!":
                raise InventoryError(
                    "an executable inventory script: checker never runs inventory code; "
                    "save its output with `ansible-inventory -i SCRIPT --list -y --output "
                    "inventory.yml` and give checker that file", str(path))

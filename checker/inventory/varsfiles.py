"""group_vars/ and host_vars/ beside each inventory source, loaded as ansible-core's
host_group_vars plugin and DataLoader.find_vars_files load them.

For an entity NAME, the first of `NAME`, `NAME.yml`, `NAME.yaml`, `NAME.json` that exists is
used, and only that one; if it is a folder, every file in it (and in its sub-folders without
an extension) with no extension or one of those three is loaded in sorted order; names
starting with `.` or ending in `~` are skipped. Later files override earlier ones key by
key. Empty files are ignored; vault-encrypted files are decrypted.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from checker.errors import InventoryError
from checker.inventory.data import Layer, Where
from checker.inventory.files import Loading, strings
from checker.yamlio import Located

EXTENSIONS = (".yml", ".yaml", ".json")


class VarsDir:
    """One group_vars/ or host_vars/ folder (listed once, so lookups are O(1))."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.entries = set(os.listdir(folder)) if folder.is_dir() else set()

    def files(self, name: str) -> list[Path]:
        for ext in ("", *EXTENSIONS):
            if name + ext in self.entries:
                path = self.folder / (name + ext)
                if path.is_dir():
                    return _dir_files(path, set())
                if not path.is_file():  # a FIFO would block the read for ever
                    raise InventoryError("not a regular file (a FIFO, socket or device): "
                                         "vars are read from files only", str(path))
                return [path]
        return []


def _dir_files(folder: Path, seen: set[str]) -> list[Path]:
    real = os.path.realpath(folder)
    if real in seen:  # a symlink loop
        return []
    seen.add(real)
    found: list[Path] = []
    for entry in sorted(os.listdir(folder)):
        if entry.startswith(".") or entry.endswith("~"):
            continue
        path, ext = folder / entry, os.path.splitext(entry)[1]
        if path.is_dir() and not ext:
            found += _dir_files(path, seen)
        elif path.is_file() and (not ext or ext in EXTENSIONS):
            found.append(path)
    return found


class VarsLoader:
    """Loads vars files once each, decrypting vault files and charging the budget."""

    def __init__(self, loading: Loading) -> None:
        self.loading = loading
        self._cache: dict[Path, Layer] = {}

    def layer(self, files: list[Path]) -> Layer:
        if len(files) == 1:
            return self._file(files[0])
        out = Layer()
        for path in files:
            loaded = self._file(path)
            out.values.update(loaded.values)
            out.where.update(loaded.where)
        return out

    def _file(self, path: Path) -> Layer:
        if path not in self._cache:
            self._cache[path] = self._load(path)
        return self._cache[path]

    def _load(self, path: Path) -> Layer:
        text, encrypted = self.loading.text(path)
        data = self.loading.yaml(text, str(path))
        layer = Layer()
        if not data:
            return layer
        if not isinstance(data, Mapping):
            raise InventoryError("a vars file must be a mapping of variable names to values, "
                                 f"got {type(data).__name__}", str(path), 1)
        if encrypted:
            self.loading.vault.plaintexts |= strings(data)
        for key, value in data.items():
            if not isinstance(key, str):
                line = data.line_of(str(key)) if isinstance(data, Located) else 1
                raise InventoryError(f"variable name {key!r} is not a string", str(path), line)
            line = data.line_of(key) if isinstance(data, Located) else 1
            layer.set(key, value, Where(str(path), line))
        return layer

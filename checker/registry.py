"""Named registries: the registered name is the public API (YAML vocabulary, schema enum)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """A name -> class table filled by a decorator at import time.

    >>> reporters = Registry("reporter")
    >>> @reporters.register("junit")
    ... class JUnit: ...
    """

    def __init__(self, kind: str, modules: Mapping[str, str] | None = None) -> None:
        """`modules` maps names to the module that registers them, imported on first use
        (so the CLI imports ldap3 or pypsrp only when a host needs them)."""
        self.kind = kind
        self._items: dict[str, T] = {}
        self._modules = dict(modules or {})

    def register(self, name: str) -> Callable[[T], T]:
        def add(item: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = item
            setattr(item, "registry_name", name)  # noqa: B010 - classes and functions alike
            return item

        return add

    def get(self, name: str) -> T:
        if name not in self._items and name in self._modules:
            importlib.import_module(self._modules[name])
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(self.names())
            raise KeyError(f"unknown {self.kind} {name!r} (known: {known})") from None

    def names(self) -> list[str]:
        return sorted(set(self._items) | set(self._modules))

    def items(self) -> Iterator[tuple[str, T]]:
        return iter(sorted(self._items.items()))

    def __contains__(self, name: object) -> bool:
        return name in self._items or name in self._modules

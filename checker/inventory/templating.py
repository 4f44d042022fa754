"""Host variables templated lazily, as ansible-core 2.19 templates them.

A variable is rendered when it is first read, in its host's context, so variables may refer
to each other in any order (`ansible_password: "{{ vault_pw }}"`), a variable nobody reads
is never rendered, and a loop (`a: "{{ b }}"`, `b: "{{ a }}"`) is an error naming the chain.

Types follow ansible-core 2.19: a template that is one expression keeps the expression's
type (`"{{ 5986 }}"` is an int, `"{{ [1, 2] }}"` a list), anything else renders as text
(`"a{{ 1 }}"` is `"a1"`); a text result is never re-read as a literal (`"{{ '42' }}"` stays
text). Dict keys are not templated; `!unsafe` values and decrypted `!vault` values are
never templated. Every error names the variable and its file:line.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import jinja2

from checker.errors import InventoryError
from checker.inventory.data import Layer, Where
from checker.inventory.files import Unsafe, VaultText
from checker.inventory.jinja import TemplateFailure, compile_template, render
from checker.inventory.vault import VaultSecrets

MAGIC_ALWAYS = ("inventory_hostname", "inventory_hostname_short", "group_names")


class Failed(jinja2.StrictUndefined):
    """A variable that could not be rendered: harmless until a template uses it (then its
    own error, with its own file:line, is raised)."""

    def __init__(self, error: InventoryError) -> None:
        super().__init__(name="failed")
        self._error = error

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
        raise self._error


class Resolver:
    """Renders the variables of every host of one inventory, each one once."""

    def __init__(self, merge: Callable[[str], Layer], magic: Callable[[str], dict[str, Any]],
                 vault: VaultSecrets, hosts: Mapping[str, Any]) -> None:
        self._merge, self._magic, self.vault, self._hosts = merge, magic, vault, hosts
        self._layers: dict[str, Layer] = {}
        self._done: dict[tuple[str, str], Any] = {}
        self._active: list[tuple[str, str]] = []
        self._lock = threading.RLock()
        self.hostvars = HostVars(self)

    def layer(self, host: str) -> Layer:
        found = self._layers.get(host)
        if found is None:
            found = self._layers[host] = self._merge(host)
        return found

    def view(self, host: str) -> HostVarsView:
        return HostVarsView(self, host)

    def magic(self, host: str) -> dict[str, Any]:
        return {**self._magic(host), "hostvars": self.hostvars}

    def resolve(self, host: str, name: str) -> Any:
        key = (host, name)
        with self._lock:
            if key in self._done:
                return self._done[key]
            layer = self.layer(host)
            if name not in layer.values:
                return self.magic(host)[name]  # KeyError when not a variable at all
            where = layer.where.get(name, Where("<inventory>"))
            if key in self._active:
                chain = [n for h, n in self._active[self._active.index(key):]]
                raise where.error(f"variable {name}: recursive loop: "
                                  f"{' -> '.join([*chain, name])}")
            self._active.append(key)
            try:
                value = self._render(host, name, layer.values[name], where, {})
            finally:
                self._active.pop()
            self._done[key] = value
            return value

    def _render(self, host: str, name: str, value: Any, where: Where, memo: dict[int, Any]) -> Any:
        if isinstance(value, VaultText):
            return self.vault.decrypt(value.ciphertext, value.file, value.line)
        if isinstance(value, str) and not isinstance(value, Unsafe):
            return self._template(host, name, value, where)
        if isinstance(value, (list, dict)):
            if id(value) in memo:  # a YAML alias: render the shared node once
                return memo[id(value)]
            out: Any = [] if isinstance(value, list) else {}
            memo[id(value)] = out
            if isinstance(value, list):
                out.extend(self._render(host, name, v, where, memo) for v in value)
            else:
                out.update((k, self._render(host, name, v, where, memo))
                           for k, v in value.items())
            return out
        return value

    def _template(self, host: str, name: str, text: str, where: Where) -> Any:
        if "{{" not in text and "{%" not in text and "{#" not in text:
            return text
        try:
            template, names = compile_template(text)
            return render(template, self._context(host, names))
        except InventoryError:
            raise
        except TemplateFailure as e:
            raise where.error(f"variable {name}: {e}") from None
        except RecursionError:
            raise where.error(f"variable {name}: variables refer to each other too deeply") \
                from None

    def _context(self, host: str, names: frozenset[str]) -> dict[str, Any]:
        context: dict[str, Any] = {}
        magic: dict[str, Any] | None = None
        values = self.layer(host).values
        for ref in names:
            if ref in values:
                try:
                    context[ref] = self.resolve(host, ref)
                except InventoryError as e:
                    context[ref] = Failed(e)
            else:
                magic = self.magic(host) if magic is None else magic
                if ref in magic:
                    context[ref] = magic[ref]
        return context


class HostVarsView(Mapping[str, Any]):
    """One host's variables: each one rendered on first read."""

    def __init__(self, resolver: Resolver, host: str) -> None:
        self._resolver, self._host = resolver, host

    def __getitem__(self, name: str) -> Any:
        return self._resolver.resolve(self._host, name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self._names() or name in ("groups",
                                                                            "hostvars"))

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def _names(self) -> dict[str, None]:
        return dict.fromkeys([*self._resolver.layer(self._host).values, *MAGIC_ALWAYS])

    def where(self, name: str) -> Where | None:
        """The file and line of the value that wins for `name` (None: not an inventory
        variable), so a bad value is reported where it is written."""
        return self._resolver.layer(self._host).where.get(name)

    def __repr__(self) -> str:  # may hold secrets
        return f"HostVarsView({self._host!r})"


class HostVars(Mapping[str, Any]):
    """The `hostvars` magic variable: every host's variables, rendered on first read."""

    def __init__(self, resolver: Resolver) -> None:
        self._resolver = resolver

    def __getitem__(self, host: str) -> HostVarsView:
        if host not in self._resolver._hosts:
            raise KeyError(host)
        return self._resolver.view(host)

    def __iter__(self) -> Iterator[str]:
        return iter(self._resolver._hosts)

    def __len__(self) -> int:
        return len(self._resolver._hosts)

    def __repr__(self) -> str:
        return "HostVars(...)"

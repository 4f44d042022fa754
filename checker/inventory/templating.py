"""Template inventory variables: `{{ lookup('env', 'NAME') }}`, `{{ other_var }}`.

Runs in Jinja's sandbox with StrictUndefined. A missing environment variable or an
undefined name is an InventoryError at the variable's file:line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from checker.errors import InventoryError


class _LookupError(Exception):
    pass


def _lookup(kind: str, *terms: str, default: Any = None) -> str:
    if kind == "env":
        (name,) = terms
        value = os.environ.get(name)
        if value is None:
            if default is not None:
                return str(default)
            raise _LookupError(f"environment variable {name} is not set")
        return value
    if kind == "file":
        (path,) = terms
        try:
            return Path(path).read_text(encoding="utf-8").rstrip("\n")
        except OSError as e:
            raise _LookupError(f"lookup('file', {path!r}): {e.strerror}") from None
    raise _LookupError(f"unsupported lookup {kind!r} (env and file are supported)")


_ENV = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
_ENV.globals["lookup"] = _lookup


def render_vars(values: Mapping[str, Any], where: Mapping[str, tuple[str, int]]) -> dict[str, Any]:
    """Render every templated string (recursively, in lists and dicts too)."""
    done: dict[str, Any] = {}
    active: list[str] = []

    def resolve(name: str) -> Any:
        if name in done:
            return done[name]
        if name in active:
            raise _LookupError(f"variable {name} refers to itself: {' -> '.join(active)}")
        active.append(name)
        try:
            done[name] = render(values[name], name)
        finally:
            active.pop()
        return done[name]

    class Context(dict):
        def __missing__(self, key: str) -> Any:
            if key in values:
                return resolve(key)
            raise KeyError(key)

    def render(value: Any, name: str) -> Any:
        if isinstance(value, str) and ("{{" in value or "{%" in value):
            try:
                return _ENV.from_string(value).render(Context())
            except _LookupError as e:
                raise _at(name, str(e)) from None
            except jinja2.TemplateSyntaxError as e:
                raise _at(name, f"template syntax error: {e.message}") from None
            except jinja2.exceptions.SecurityError as e:
                raise _at(name, f"template not allowed: {e}") from None
            except jinja2.UndefinedError as e:
                raise _at(name, f"undefined in template: {e.message}") from None
        if isinstance(value, list):
            return [render(v, name) for v in value]
        if isinstance(value, dict):
            return {k: render(v, name) for k, v in value.items()}
        return value

    def _at(name: str, message: str) -> InventoryError:
        file, line = where.get(name, ("<inventory>", 0))
        return InventoryError(f"variable {name}: {message}", file, line or None)

    for key in values:
        resolve(key)
    return done

"""Ansible's common filters, tests and lookups for inventory templates.

Names and behaviour follow ansible-core's ansible.builtin filters and tests
(ansible/plugins/filter/core.py, mathstuff.py, plugins/test/core.py) and the env and file
lookups, under their short and `ansible.builtin.` names. Other lookups are refused by name.

Stricter than Ansible on purpose: `lookup('env', NAME)` of an unset variable is an error
(Ansible returns ""), because an empty password is never what an inventory means.
"""

from __future__ import annotations

import base64
import json
import ntpath
import os
import re
import shlex
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, Undefined

_TRUE = ("yes", "on", "1", "true", "y", "t")


class LookupFailure(Exception):
    pass


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _TRUE or value == 1


def ternary(value: Any, true_val: Any, false_val: Any, none_val: Any = None) -> Any:
    if value is None and none_val is not None:
        return none_val
    return true_val if value else false_val


def regex_replace(value: Any, pattern: str, replacement: str = "", ignorecase: bool = False,
                  multiline: bool = False, count: int = 0) -> str:
    flags = (re.I if ignorecase else 0) | (re.M if multiline else 0)
    return re.sub(pattern, replacement, str(value), count=count, flags=flags)


def regex_search(value: Any, pattern: str, *groups: str, ignorecase: bool = False,
                 multiline: bool = False) -> Any:
    flags = (re.I if ignorecase else 0) | (re.M if multiline else 0)
    m = re.search(pattern, str(value), flags)
    if m is None:
        return None
    if not groups:
        return m.group(0)
    return [m.group(int(g[1:]) if g.startswith("\\") else g[2:-1]) for g in groups]


def regex_findall(value: Any, pattern: str, ignorecase: bool = False,
                  multiline: bool = False) -> list[Any]:
    flags = (re.I if ignorecase else 0) | (re.M if multiline else 0)
    return re.findall(pattern, str(value), flags)


def combine(*dicts: Any, recursive: bool = False, list_merge: str = "replace") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for d in _flatten_args(dicts):
        out = _merge(out, d, recursive) if recursive else {**out, **d}
    return out


def _flatten_args(items: Iterable[Any]) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    for item in items:
        out.extend(item if isinstance(item, list) else [item])
    return out


def _merge(a: Mapping[str, Any], b: Mapping[str, Any], recursive: bool) -> dict[str, Any]:
    out = dict(a)
    for k, v in b.items():
        if recursive and isinstance(out.get(k), Mapping) and isinstance(v, Mapping):
            out[k] = _merge(out[k], v, True)
        else:
            out[k] = v
    return out


def flatten(items: Any, levels: int | None = None) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if isinstance(item, (list, tuple)) and (levels is None or levels > 0):
            out.extend(flatten(item, None if levels is None else levels - 1))
        elif item is not None:
            out.append(item)
    return out


def unique(items: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def dict2items(d: Mapping[str, Any], key_name: str = "key",
               value_name: str = "value") -> list[dict[str, Any]]:
    return [{key_name: k, value_name: v} for k, v in d.items()]


def items2dict(items: Iterable[Mapping[str, Any]], key_name: str = "key",
               value_name: str = "value") -> dict[Any, Any]:
    return {i[key_name]: i[value_name] for i in items}


def mandatory(value: Any, msg: str | None = None) -> Any:
    if isinstance(value, Undefined):
        raise LookupFailure(msg or "mandatory variable not defined")
    return value


def _b64decode(value: Any, encoding: str = "utf-8") -> str:
    return base64.b64decode(str(value)).decode(encoding)


def _b64encode(value: Any, encoding: str = "utf-8") -> str:
    return base64.b64encode(str(value).encode(encoding)).decode("ascii")


def _to_yaml(value: Any, **kw: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, **kw)


FILTERS: dict[str, Callable[..., Any]] = {
    "bool": to_bool, "ternary": ternary, "mandatory": mandatory,
    "regex_replace": regex_replace, "regex_search": regex_search,
    "regex_findall": regex_findall, "regex_escape": re.escape,
    "combine": combine, "flatten": flatten, "unique": unique,
    "union": lambda a, b: unique([*a, *b]),
    "intersect": lambda a, b: unique([x for x in a if x in b]),
    "difference": lambda a, b: unique([x for x in a if x not in b]),
    "symmetric_difference": lambda a, b: unique([x for x in [*a, *b]
                                                 if (x in a) != (x in b)]),
    "dict2items": dict2items, "items2dict": items2dict,
    "to_json": lambda v, **kw: json.dumps(v, **kw),
    "to_nice_json": lambda v, indent=4, **kw: json.dumps(v, indent=indent, sort_keys=True),
    "from_json": lambda v: json.loads(v), "to_yaml": _to_yaml,
    "to_nice_yaml": lambda v, indent=4, **kw: yaml.safe_dump(v, indent=indent,
                                                              default_flow_style=False),
    "from_yaml": lambda v: yaml.safe_load(v),
    "b64encode": _b64encode, "b64decode": _b64decode,
    "basename": os.path.basename, "dirname": os.path.dirname,
    "win_basename": ntpath.basename, "win_dirname": ntpath.dirname,
    "splitext": lambda v: list(os.path.splitext(v)),
    "quote": lambda v: shlex.quote(str(v)),
    "split": lambda v, sep=None, maxsplit=-1: str(v).split(sep, maxsplit),
    "type_debug": lambda v: type(v).__name__,
    "zip": lambda *a: [list(t) for t in zip(*a, strict=False)],
    "extract": lambda item, container, morekeys=None: container[item],
}

TESTS: dict[str, Callable[..., bool]] = {
    "match": lambda v, p, ignorecase=False, multiline=False: re.match(
        p, str(v), (re.I if ignorecase else 0) | (re.M if multiline else 0)) is not None,
    "search": lambda v, p, ignorecase=False, multiline=False: re.search(
        p, str(v), (re.I if ignorecase else 0) | (re.M if multiline else 0)) is not None,
    "regex": lambda v, p, ignorecase=False, multiline=False, match_type="search": getattr(
        re, match_type)(p, str(v), (re.I if ignorecase else 0) |
                        (re.M if multiline else 0)) is not None,
    "truthy": lambda v, convert_bool=False: bool(to_bool(v) if convert_bool else v),
    "falsy": lambda v, convert_bool=False: not (to_bool(v) if convert_bool else v),
    "contains": lambda seq, v: v in seq,
    "subset": lambda a, b: set(a) <= set(b), "superset": lambda a, b: set(a) >= set(b),
    "abs": os.path.isabs,
}


def _lookup_env(terms: tuple[Any, ...], default: Any) -> list[str]:
    if not terms:
        raise LookupFailure("lookup('env') needs the name of an environment variable")
    out = []
    for name in terms:
        value = os.environ.get(str(name))
        if value is None:
            if default is None:
                raise LookupFailure(f"environment variable {name} is not set")
            value = str(default)
        out.append(value)
    return out


def _lookup_file(terms: tuple[Any, ...], default: Any) -> list[str]:
    if not terms:
        raise LookupFailure("lookup('file') needs a file name")
    out = []
    for path in terms:
        try:
            out.append(Path(str(path)).read_text(encoding="utf-8").rstrip())
        except (OSError, UnicodeDecodeError) as e:
            raise LookupFailure(f"lookup('file', {str(path)!r}): "
                                f"{getattr(e, 'strerror', None) or 'not UTF-8 text'}") from None
    return out


LOOKUPS = {"env": _lookup_env, "file": _lookup_file}


def _run_lookup(kind: str, terms: tuple[Any, ...], kwargs: dict[str, Any]) -> list[str]:
    name = kind.removeprefix("ansible.builtin.")
    plugin = LOOKUPS.get(name)
    if plugin is None:
        raise LookupFailure(f"lookup {kind!r} is not supported in an inventory here "
                            f"(supported: {', '.join(sorted(LOOKUPS))})")
    return plugin(terms, kwargs.get("default"))


def lookup(kind: str, *terms: Any, **kwargs: Any) -> Any:
    values = _run_lookup(kind, terms, kwargs)
    if kwargs.get("wantlist"):
        return values
    return values[0] if len(values) == 1 else ",".join(values)


def query(kind: str, *terms: Any, **kwargs: Any) -> list[str]:
    return _run_lookup(kind, terms, kwargs)


def install(env: Environment) -> None:
    for name, fn in FILTERS.items():
        env.filters.setdefault(name, fn)
        env.filters[f"ansible.builtin.{name}"] = fn
    for name, test in TESTS.items():
        env.tests.setdefault(name, test)
        env.tests[f"ansible.builtin.{name}"] = test
    env.filters["d"] = env.filters["default"]
    env.globals.update(lookup=lookup, query=query, q=query)

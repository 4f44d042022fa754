"""Safe YAML loading that remembers where every mapping key came from.

Mappings load as `Located` dicts whose `.line` is the mapping's first line and whose
`.key_lines` give each key's line (1-based), so validation can say `file:line: message`.
A document whose aliases expand to more than a million values is an alias bomb and is
refused (the check walks shared nodes once, so it is cheap).
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml

from checker.errors import InputError

MAX_BYTES = 20 * 1024 * 1024
MAX_EXPANDED_NODES = 1_000_000


class Located(dict):  # type: ignore[type-arg,unused-ignore]
    """A dict from YAML with line numbers."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LocatedList(list):
    line: int = 0
    item_lines: list[int]


# libyaml's parser when PyYAML has it (10x faster on large rule packs); same marks either way.
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_MAP, _SEQ, _STR = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq",
                    "tag:yaml.org,2002:str")


class _Loader(_Base):
    """Builds Located/LocatedList straight from the node tree: one pass, shared nodes
    (aliases) built once, about twice as fast as PyYAML's generic constructor."""

    def construct_document(self, node: Any) -> Any:
        return self._build(node, {})

    def _build(self, node: Any, memo: dict[int, Any]) -> Any:
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _STR:
                return node.value
            return self.yaml_constructors.get(node.tag, self.yaml_constructors[None])(self, node)
        built = memo.get(id(node))
        if built is not None:
            return built
        if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
            seq = memo[id(node)] = LocatedList()
            seq.line = node.start_mark.line + 1
            seq.item_lines = [n.start_mark.line + 1 for n in node.value]
            seq.extend(self._build(n, memo) for n in node.value)
            return seq
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
            self.flatten_mapping(node)  # YAML merge keys (<<)
            mapping = memo[id(node)] = Located()
            mapping.line = node.start_mark.line + 1
            mapping.key_lines = {}
            for key_node, value_node in node.value:
                key = self._build(key_node, memo)
                if not isinstance(key, Hashable):
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        "found an unhashable key", key_node.start_mark)
                mapping[key] = self._build(value_node, memo)
                mapping.key_lines[str(key)] = key_node.start_mark.line + 1
            return mapping
        return self.construct_object(node, deep=True)  # other tags: PyYAML's own way


def _timestamp_as_text(loader: Any, node: Any) -> str:
    # Dates stay strings ("2026-12-31"): the schemas check their format, and an impossible
    # date (2026-02-30) is then a validation message with a line, not a crash in PyYAML.
    return str(node.value)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)



Loader = _Loader  # subclass it to add tags (the inventory adds !vault and !unsafe)


def load_text(text: str, source: str, loader_class: type = _Loader) -> Any:
    """Parse one YAML document; any problem is an InputError at `source:line`."""
    loader = loader_class(text)
    try:
        data = loader.get_single_data()
        if expanded_size(data) > MAX_EXPANDED_NODES:
            raise InputError(
                f"YAML aliases expand to more than {MAX_EXPANDED_NODES:,} values "
                "(refusing a possible alias bomb)",
                source,
                1,
            )
        return data
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        raise InputError(f"invalid YAML: {e.problem or e}", source, line) from None
    except yaml.YAMLError as e:
        raise InputError(f"invalid YAML: {e}", source) from None
    except (ValueError, TypeError) as e:  # a scalar PyYAML cannot build (e.g. a huge number)
        raise InputError(f"invalid YAML value: {e}", source) from None
    finally:
        loader.dispose()


def expanded_size(value: Any) -> int:
    """How many values `value` has once aliases are expanded (counting stops a little past
    MAX_EXPANDED_NODES)."""
    return _expanded_size(value, {})


def _expanded_size(value: Any, memo: dict[int, int]) -> int:
    """How many values `value` has once aliases are expanded (memoised by identity)."""
    if not isinstance(value, (dict, list)):
        return 1
    key = id(value)
    if key not in memo:
        memo[key] = 0  # a self-referencing alias counts once instead of looping
        children = value.values() if isinstance(value, dict) else value
        total = 1
        for child in children:
            total += _expanded_size(child, memo)
            if total > MAX_EXPANDED_NODES:
                break
        memo[key] = total
    return memo[key]


def decode_utf8(data: bytes, source: str) -> str:
    """The text of a file that must be UTF-8; else an InputError at the offending line."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - data.rfind(b"\n", 0, e.start)
        raise InputError(f"not UTF-8 text: byte 0x{data[e.start]:02x} at column {column}",
                         source, line) from None


def read_text(path: str | Path, limit: int = MAX_BYTES) -> str:
    """A UTF-8 text file, refused with file:line when it is too large, unreadable or not UTF-8."""
    p = Path(path)
    try:
        if p.stat().st_size > limit:
            raise InputError(f"file is larger than {limit // 1024 // 1024} MiB", str(p))
        data = p.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", str(p)) from None
    return decode_utf8(data, str(p))


def load_file(path: str | Path, loader_class: type = _Loader) -> Any:
    return load_text(read_text(path), str(path), loader_class)

"""The rule language reference, generated from the registries: docs/operators.md from the
operator table and docs/collectors.md from the collector registry (what each gathers, over
which connections, its parameters and the fields of what it returns).

    python -m checker.ruleset.docs operators > docs/operators.md
    python -m checker.ruleset.docs collectors > docs/collectors.md

A test fails when a committed file differs from what this prints.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import sys
import typing
from collections.abc import Mapping
from typing import Any

from checker.collectors.base import load_all
from checker.lang.operators import OPERATORS, Operator


def _header(title: str, what: str) -> list[str]:
    return [f"# {title}", "",
            f"Generated from {what} by `python -m checker.ruleset.docs "
            f"{title.split()[-1].lower()} > docs/{title.split()[-1].lower()}.md`; do not edit "
            "by hand.", ""]


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def example_check(op: Operator) -> dict[str, Any]:
    """The `expect:` entry that documents an operator (tests validate it)."""
    return {"key": "item.value", "op": op.name, "value": op.example}


def operators_markdown() -> str:
    out = _header("Operators", "the operator table in `checker/lang/operators.py`")
    out += ["A structured check is `key` (a dotted path into the facts), `op` and `value`. A",
            "literal value is checked by `checker validate` (a regex compiled, a version or a",
            "duration read); a templated value (`\"{{ other.version }}\"`) is rendered per host",
            "or object and checked when the rule runs. A type mismatch at run time is an",
            "`error` row, never false.", "",
            "| op | holds when | value | example |", "|---|---|---|---|"]
    for name, op in sorted(OPERATORS.items()):
        example = json.dumps(op.example, ensure_ascii=False)
        out.append(f"| `{name}` | {_cell(op.doc)} | {_cell(op.value_doc)} | `{_cell(example)}` |")
    return "\n".join(out) + "\n"


def _type_name(annotation: Any) -> str:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return str(text).replace("dt.", "").replace("typing.", "")


def _record(model: Any) -> tuple[str, Any]:
    """("a list of Connector", Connector) or ("one GlobalSettings", GlobalSettings)."""
    if typing.get_origin(model) in (list, tuple):
        record = typing.get_args(model)[0]
        return f"a list of `{record.__name__}`", record
    return f"one `{model.__name__}`", model


def _params(schema: Mapping[str, Any]) -> list[str]:
    props = schema.get("properties") or {}
    if not props:
        return ["Parameters: none."]
    lines = ["| parameter | type | description |", "|---|---|---|"]
    for name, spec in props.items():
        kind = spec.get("type", "")
        if kind == "array":
            kind = f"list of {spec.get('items', {}).get('type', 'value')}"
        bounds = [f"{k} {spec[k]}" for k in ("minimum", "maximum") if k in spec]
        kind = f"{kind} ({', '.join(bounds)})" if bounds else kind
        lines.append(f"| `{name}` | {_cell(kind)} | {_cell(spec.get('description', ''))} |")
    return lines


def _example(cls: type) -> list[str]:
    doc = inspect.getdoc(cls) or ""
    if "```yaml" not in doc:
        return []
    block = doc.split("```yaml", 1)[1].split("```", 1)[0].strip("\n")
    return ["```yaml", block, "```"]


def collector_section(name: str, cls: Any) -> list[str]:
    what, record = _record(cls.model)
    summary = (inspect.getdoc(cls) or cls.description).split("\n\n", 1)[0].replace("\n", " ")
    out = [f"## `{name}`", "", summary, "",
           f"Over: {', '.join(f'`{t}`' for t in cls.transports)}. Gives {what}.", ""]
    out += [*_params(cls.params_schema), ""]
    if dataclasses.is_dataclass(record):
        fields = [f"`{f.name}` ({_type_name(f.type)})" for f in dataclasses.fields(record)]
        out += [f"Fields: {', '.join(fields)}.", ""]
    example = _example(cls)
    return out + ([*example, ""] if example else [])


def collectors_markdown() -> str:
    out = _header("Collectors", "the collector registry (`checker/collectors/`)")
    out += ["A rule names the facts it needs under `facts:`; each is a collector, with",
            "`params` when it takes any, and `from:` to read it on other hosts.", ""]
    for name, cls in sorted(load_all().items()):
        out += collector_section(name, cls)
    return "\n".join(out).rstrip("\n") + "\n"


PAGES = {"operators": operators_markdown, "collectors": collectors_markdown}


def example_rules() -> list[dict[str, Any]]:
    """One rule per documented example, for the test that validates them."""
    return [{"id": f"DOC-{name.upper().replace('_', '-')}", "title": f"example of {name}",
             "severity": "low", "hosts": "all", "expect": [example_check(op)]}
            for name, op in sorted(OPERATORS.items())]


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in PAGES:
        print(f"usage: python -m checker.ruleset.docs {'|'.join(PAGES)}", file=sys.stderr)
        return 2
    sys.stdout.write(PAGES[argv[0]]())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Load and validate rule files: structure, then JSON Schema, then semantics.

Every problem is collected with its `file:line` and raised together as InputErrors.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.collectors.base import load_all
from checker.errors import CheckerError, InputErrors, RuleError
from checker.lang.operators import OPERATORS
from checker.ruleset.model import Check, FactRef, Rule, RuleSet, Severity, Source, Task
from checker.ruleset.schema import rule_schema
from checker.ruleset.semantics import semantic_problems
from checker.yamlio import Located, LocatedList, load_file

if TYPE_CHECKING:
    import jsonschema

RULE_SUFFIXES = (".yml", ".yaml")
NOT_RULES = ("profiles.yml", "profiles.yaml")
NOT_REGULAR = "not a regular file (a FIFO, socket or device): rules are read from files only"


def rule_files(paths: Sequence[str | Path]) -> list[Path]:
    """Every rule file under `paths`. A folder that cannot be read is an error, never a
    silently smaller rule pack; so is a folder that holds no rule file at all."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = _walk(p)
            if not found:
                raise RuleError("no rule files (*.yml, *.yaml) in this folder", str(p))
            files += found
        elif p.is_file():
            files.append(p)
        elif p.exists():
            raise RuleError(NOT_REGULAR, str(p))
        else:
            raise RuleError("no such rules file or directory", str(p))
    return files


def _walk(folder: Path) -> list[Path]:
    """Rule files in a folder tree, symlinked subfolders included (each real folder once)."""

    def fail(error: OSError) -> None:
        raise RuleError(f"cannot read this rules folder: {error.strerror}",
                        error.filename or str(folder))

    found: list[Path] = []
    seen: set[str] = set()
    for top, dirs, names in os.walk(folder, onerror=fail, followlinks=True):
        real = os.path.realpath(top)
        if real in seen:  # a symlink loop, or a second link to the same folder
            dirs[:] = []
            continue
        seen.add(real)
        dirs.sort()
        for name in sorted(names):
            if name.endswith(RULE_SUFFIXES) and name not in NOT_RULES:
                path = Path(top) / name
                if not path.is_file():  # a FIFO would block the read for ever
                    raise RuleError(NOT_REGULAR, str(path))
                found.append(path)
    return found


@functools.lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return rule_schema(dict(load_all().items()), OPERATORS, values=False)  # values: semantics


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    import jsonschema  # only to explain an invalid rule: kept off the fast path

    schema = _schema()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


@functools.lru_cache(maxsize=1)
def _fast_check() -> Callable[[Any], Any]:
    """The same schema compiled to Python (fastjsonschema): about 4x faster on the valid
    rules that are nearly all rules; jsonschema then explains the invalid ones."""
    import fastjsonschema

    return fastjsonschema.compile(_schema())


def _valid(item: Any) -> bool:
    import fastjsonschema

    try:
        _fast_check()(item)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def load_rules(paths: Sequence[str | Path]) -> RuleSet:
    problems: list[CheckerError] = []
    rules: list[Rule] = []
    for f in rule_files(paths):
        try:
            data = load_file(f)
        except CheckerError as e:
            problems.append(e)
            continue
        rules += _rules_of_file(data, str(f), problems)
    problems += semantic_problems(rules)
    if problems:
        raise InputErrors(problems)
    if not rules:
        where = ", ".join(map(str, paths))
        raise RuleError(f"no rules in {where}: the rule files are empty")
    return RuleSet(tuple(rules))


def _rules_of_file(data: Any, file: str, problems: list[CheckerError]) -> list[Rule]:
    if data is None:
        return []
    if not isinstance(data, list):
        problems.append(RuleError("a rules file must be a YAML list of rules", file, 1))
        return []
    out = []
    for i, item in enumerate(data):
        line = data.item_lines[i] if isinstance(data, LocatedList) else 1
        if not isinstance(item, Located):
            problems.append(RuleError("each rule must be a mapping", file, line))
            continue
        errors = [] if _valid(item) else sorted(
            _validator().iter_errors(item), key=lambda e: list(e.absolute_path))
        if errors:
            problems += [_schema_problem(e, item, file) for e in _leaf_errors(errors)]
            continue
        out.append(build_rule(item, Source(file, line)))
    return out


def _leaf_errors(errors: Iterable[jsonschema.ValidationError]) -> list[jsonschema.ValidationError]:
    """For oneOf/anyOf failures, report the most specific sub-error instead of a wall of text."""
    import jsonschema

    out = []
    for e in errors:
        if e.context:
            best = jsonschema.exceptions.best_match(e.context)
            out.append(best if best is not None else e)
        else:
            out.append(e)
    return out


def _schema_problem(error: jsonschema.ValidationError, item: Any, file: str) -> RuleError:
    node, line = item, getattr(item, "line", 1)
    for part in error.absolute_path:
        if isinstance(node, Located) and part in node:
            line, node = node.line_of(str(part)), node[part]
        elif isinstance(node, LocatedList) and isinstance(part, int) and part < len(node):
            line, node = node.item_lines[part], node[part]
        else:
            break
    where = ".".join(str(p) for p in error.absolute_path)
    rid = item.get("id") if isinstance(item.get("id"), str) else None
    prefix = f"rule {rid}: " if rid else ""
    field = f"{where}: " if where else ""
    return RuleError(f"{prefix}{field}{_short(error)}", file, line)


def _short(error: jsonschema.ValidationError) -> str:
    path = list(error.absolute_path)
    if path[-1:] == ["op"] and error.validator == "enum":
        return (f"unknown operator {error.instance!r}; the operators are: "
                f"{', '.join(error.validator_value)}")
    if error.validator == "enum":
        allowed = ", ".join(map(str, error.validator_value))
        return f"{error.instance!r} is not one of: {allowed}"
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown key(s)")
    return error.message


def build_rule(d: Located, source: Source) -> Rule:
    facts = tuple(_fact(name, spec) for name, spec in (d.get("facts") or {}).items())
    return Rule(
        id=d["id"],
        title=d["title"],
        severity=Severity(d["severity"]),
        hosts=d["hosts"],
        source=source,
        description=d.get("description", ""),
        tags=tuple(d.get("tags", ())),
        version=d.get("version", 1),
        facts=facts,
        when=d.get("when"),
        when_msg=d.get("when_msg"),
        depends_on=tuple(d.get("depends_on", ())),
        for_each=d.get("for_each"),
        object=d.get("object"),
        max_failures=d.get("max_failures"),
        max_failure_pct=d.get("max_failure_pct"),
        max_offenders=d.get("max_offenders", 20),
        expect=tuple(Check(**dict(c)) for c in d["expect"]),
        remediation=tuple(_task(t) for t in d.get("remediation", ())),
        references=tuple(d.get("references", ())),
        lines=_lines(d),
    )


def _task(t: Mapping[str, Any]) -> Task:
    return Task(**{**t, "subsumes": tuple(t.get("subsumes", ()))})


def _lines(d: Located) -> dict[str, int]:
    """Line numbers of a rule's fields, keyed like "expect[0].that", for messages."""
    out = {k: d.line_of(k) for k in d}
    for section in ("expect", "remediation", "facts"):
        items = d.get(section)
        if isinstance(items, LocatedList):
            for i, item in enumerate(items):
                out[f"{section}[{i}]"] = items.item_lines[i]
                if isinstance(item, Located):
                    out |= {f"{section}[{i}].{k}": item.line_of(k) for k in item}
        elif isinstance(items, Located):
            out |= {f"{section}.{k}": items.line_of(k) for k in items}
    return out


def _fact(name: str, spec: Any) -> FactRef:
    if isinstance(spec, str):
        return FactRef(name, spec)
    return FactRef(name, spec["collector"], dict(spec.get("params") or {}), spec.get("from"),
                   bool(spec.get("all", False)))

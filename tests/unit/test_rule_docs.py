"""The rule language is declared once: the generated schema takes each operator's value
schema from the table, `validate` parses literal values with the operator's own parser, and
docs/operators.md and docs/collectors.md are generated from the registries and current."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
import yaml

from checker.collectors.base import load_all
from checker.errors import InputErrors
from checker.lang.operators import OPERATORS
from checker.ruleset.docs import PAGES, example_rules
from checker.ruleset.loader import load_rules

ROOT = Path(__file__).parent.parent.parent


@pytest.mark.parametrize("page", sorted(PAGES))
def test_generated_docs_are_current(page: str) -> None:
    committed = (ROOT / "docs" / f"{page}.md").read_text(encoding="utf-8")
    assert committed == PAGES[page](), (
        f"docs/{page}.md is stale: run python -m checker.ruleset.docs {page} > docs/{page}.md")


def write(tmp: Path, rules: list[dict[str, Any]]) -> str:
    path = tmp / "rules.yml"
    path.write_text(yaml.safe_dump(rules, sort_keys=False))
    return str(path)


def test_every_operator_example_is_valid(tmp_path: Path) -> None:
    assert len(load_rules([write(tmp_path, example_rules())]).rules) == len(OPERATORS)


def collector_examples() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for name, cls in sorted(load_all().items()):
        doc = inspect.getdoc(cls) or ""
        if "```yaml" in doc:
            block = doc.split("```yaml", 1)[1].split("```", 1)[0]
            out.append((name, yaml.safe_load(block)))
    return out


def test_every_collector_example_is_valid(tmp_path: Path) -> None:
    examples = collector_examples()
    assert len(examples) >= 10
    rules = [{"id": f"DOC-{i}", "title": name, "severity": "low", "hosts": "all",
              "expect": [{"that": "true"}]} | fragment for i, (name, fragment) in
             enumerate(examples)]
    assert len(load_rules([write(tmp_path, rules)]).rules) == len(examples)


def rule_with(check: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": "X-VALUE", "title": "t", "severity": "low", "hosts": "all",
             "expect": [{"key": "item.x"} | check]}]


@pytest.mark.parametrize(
    ("check", "message"),
    [
        ({"op": "equals", "value": 1}, "unknown operator 'equals'; the operators are: contains"),
        ({"op": "in", "value": "abc"}, "op in: needs a list as its value (got 'abc')"),
        ({"op": "exists", "value": "yes"}, "op exists: needs true or false as its value"),
        ({"op": "max_length", "value": -1}, "op max_length: needs a whole number"),
        ({"op": "regex", "value": "([a-"}, "op regex: invalid regular expression '([a-'"),
        ({"op": "each_not_regex", "value": "(?P<x"}, "invalid regular expression"),
        ({"op": "version_ge", "value": "1.x"}, "op version_ge: not a dotted version: '1.x'"),
        ({"op": "older_than", "value": "3 fortnights"}, "op older_than: not a duration"),
        ({"op": "eq"}, "'value' is a required property"),
    ],
)
def test_validate_finds_what_would_fail_at_run_time(tmp_path: Path, check, message) -> None:
    with pytest.raises(InputErrors) as caught:
        load_rules([write(tmp_path, rule_with(check))])
    assert message in str(caught.value)
    assert "rules.yml:" in str(caught.value)


@pytest.mark.parametrize(
    "check",
    [{"op": "version_ge", "value": "{{ vars.minimum_version }}"},
     {"op": "in", "value": "{{ vars.allowed }}"}, {"op": "eq", "value": None},
     {"op": "regex", "value": r"^\d{3}$"}, {"op": "version_lt", "value": 2}],
)
def test_templated_and_valid_values_pass(tmp_path: Path, check) -> None:
    assert load_rules([write(tmp_path, rule_with(check))]).rules


def test_the_editor_schema_carries_each_operators_value_schema() -> None:
    import jsonschema

    from checker.ruleset.schema import rules_file_schema

    schema = rules_file_schema(dict(load_all().items()), OPERATORS)
    good = rule_with({"op": "in", "value": ["a"]})
    jsonschema.validate(good, schema)
    jsonschema.validate(rule_with({"op": "in", "value": "{{ vars.allowed }}"}), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(rule_with({"op": "in", "value": "abc"}), schema)

"""JSON Schemas generated from the registries (collectors, operators, severities).

Nobody edits a master schema by hand: `checker schema rules` prints this.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checker.ruleset.model import RULE_ID_PATTERN, Severity

RULE_ID = RULE_ID_PATTERN
TASK_KINDS = ("manual", "powershell", "cmdlet")


def _template(description: str) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "description": description}


def _fact_schema(collectors: dict[str, Any]) -> dict[str, Any]:
    names = sorted(collectors)
    per_collector = [
        {
            "if": {"properties": {"collector": {"const": name}}},
            "then": {"properties": {"params": dict(cls.params_schema)}},
        }
        for name, cls in sorted(collectors.items())
    ]
    return {
        "oneOf": [
            {"type": "string", "enum": names},
            {
                "type": "object",
                "required": ["collector"],
                "additionalProperties": False,
                "properties": {
                    "collector": {"type": "string", "enum": names},
                    "params": {"type": "object"},
                    "from": {
                        "type": "string",
                        "minLength": 1,
                        "description": "inventory pattern of the hosts that hold this fact",
                    },
                    "all": {
                        "type": "boolean",
                        "description": "with from: a mapping of every host to its value",
                    },
                },
                "allOf": per_collector,
            },
        ]
    }


# A `value` may be a template, rendered per host or object at run time.
TEMPLATE_VALUE = {"type": "string", "pattern": r"\{\{|\{%", "description": "a Jinja template"}


def _value_schema(op: Any) -> dict[str, Any]:
    schema = dict(op.value_schema)
    if not schema:
        return {}
    return {"anyOf": [schema, TEMPLATE_VALUE], "description": op.value_doc}


def _check_schema(operators: Mapping[str, Any], values: bool) -> dict[str, Any]:
    """`key`/`op`/`value`, or `that`; with `values`, each operator's value checked by its own
    schema (for editors: `validate` checks values after the structure, the same schemas
    compiled per operator, which is much faster than 27 if/then branches per check).
    if/then/else rather than oneOf, so an unknown operator is reported as one (not as a
    missing `that`)."""
    per_operator = [
        {"if": {"required": ["op"], "properties": {"op": {"const": name}}},
         "then": {"properties": {"value": _value_schema(op)}}}
        for name, op in sorted(operators.items())
    ] if values else []
    keyed = {
        "required": ["key", "op", "value"],
        "additionalProperties": False,
        "properties": {
            "key": {"type": "string", "pattern": r"^[A-Za-z_][\w]*(\.[\w]+|\[\d+\])*$"},
            "op": {"type": "string", "enum": sorted(operators)},
            "value": {},
            "msg": {"type": "string"},
        },
        **({"allOf": per_operator} if per_operator else {}),
    }
    that = {
        "additionalProperties": False,
        "properties": {"that": _template("Jinja expression"), "msg": {"type": "string"}},
    }
    return {"type": "object", "if": {"required": ["that"]}, "then": that, "else": keyed}


TASK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "kind"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "kind": {"type": "string", "enum": list(TASK_KINDS)},
        "when": _template("Jinja expression; the task applies when true"),
        "script": {"type": "string", "minLength": 1},
        "steps": {"type": "string", "minLength": 1},
        "cmdlet": {"type": "string", "pattern": r"^[A-Za-z]+-[A-Za-z][A-Za-z0-9]*$",
                   "description": "kind cmdlet: the cmdlet to run (Verb-Noun)"},
        "parameters": {"type": "object",
                       "propertyNames": {"pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
                       "description": "kind cmdlet: parameter name -> value (strings are "
                                      "templates; values are passed as they are, never "
                                      "spliced into script text)"},
        "subsumes": {"type": "array", "items": {"type": "string", "minLength": 1},
                     "uniqueItems": True,
                     "description": "names of tasks this one makes unnecessary on the same "
                                    "host (a full sync subsumes a delta sync)"},
    },
    "allOf": [
        {"if": {"properties": {"kind": {"const": "powershell"}}}, "then": {"required": ["script"]}},
        {"if": {"properties": {"kind": {"const": "manual"}}}, "then": {"required": ["steps"]}},
        {"if": {"properties": {"kind": {"const": "cmdlet"}}}, "then": {"required": ["cmdlet"]}},
    ],
}


def rule_schema(
    collectors: dict[str, Any], operators: Mapping[str, Any], values: bool = True
) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["id", "title", "severity", "hosts", "expect"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "pattern": RULE_ID},
            "title": {"type": "string", "minLength": 1},
            "description": {"type": "string"},
            "severity": {"type": "string", "enum": [s.value for s in Severity]},
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "version": {"type": "integer", "minimum": 1},
            "hosts": {"type": "string", "minLength": 1},
            "facts": {"type": "object", "additionalProperties": _fact_schema(collectors)},
            "when": _template(
                "Jinja expression; the rule is skipped when false (with for_each: per object, "
                "as Ansible evaluates `when` per loop item)"
            ),
            "when_msg": _template("Jinja template: the reason given when `when` is false"),
            "depends_on": {"type": "array", "items": {"type": "string", "pattern": RULE_ID}},
            "for_each": _template("Jinja expression giving a list: one check per object"),
            "object": _template("Jinja template naming an object"),
            "max_failures": {"type": "integer", "minimum": 0},
            "max_failure_pct": {"type": "number", "minimum": 0, "maximum": 100},
            "max_offenders": {"type": "integer", "minimum": 0},
            "expect": {"type": "array", "minItems": 1, "items": _check_schema(operators, values)},
            "remediation": {"type": "array", "items": TASK_SCHEMA},
            "references": {"type": "array", "items": {"type": "string"}},
        },
    }


def rules_file_schema(
    collectors: dict[str, Any], operators: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "checker rules file",
        "type": "array",
        "items": rule_schema(collectors, operators),
    }


def inventory_schema(transports: list[str], variables: dict[str, Any] | None = None,
                     ) -> dict[str, Any]:
    """An Ansible YAML inventory; `variables` (name -> JSON Schema, from the transports'
    variable tables) describes the connection variables of hosts and groups."""
    hostvars: dict[str, Any] = {
        "type": ["object", "null"],
        "properties": {"ansible_connection": {"type": "string", "enum": transports},
                       **(variables or {})},
    }
    group: dict[str, Any] = {
        "type": ["object", "null"],
        "additionalProperties": False,
        "properties": {
            "hosts": {"type": ["object", "null"], "additionalProperties": {"$ref": "#/$defs/vars"}},
            "vars": {"$ref": "#/$defs/vars"},
            "children": {
                "type": ["object", "null"],
                "additionalProperties": {"$ref": "#/$defs/group"},
            },
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "checker inventory (Ansible YAML inventory)",
        "type": "object",
        "$defs": {"group": group, "vars": hostvars},
        "additionalProperties": {"$ref": "#/$defs/group"},
    }

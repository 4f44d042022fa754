"""tree-sitter-powershell: parsing (cached per script text) and node helpers."""

from __future__ import annotations

import functools
import re

import tree_sitter
import tree_sitter_powershell

from .values import PSError, unsupported

LANGUAGE = tree_sitter.Language(tree_sitter_powershell.language())
Node = tree_sitter.Node
CONTAINERS = {"program", "statement_list", "statement_block", "script_block",
              "script_block_body", "named_block_list", "named_block"}
WRAPPERS = {"pipeline", "pipeline_chain", "logical_expression", "bitwise_expression",
            "comparison_expression", "additive_expression", "multiplicative_expression",
            "format_expression", "range_expression", "array_literal_expression",
            "unary_expression", "expression_with_unary_operator", "left_assignment_expression",
            "key_expression", "argument_expression", "logical_argument_expression",
            "bitwise_argument_expression", "comparison_argument_expression",
            "additive_argument_expression", "multiplicative_argument_expression",
            "format_argument_expression", "range_argument_expression", "member_name",
            "integer_literal", "string_literal", "command_name_expr", "type_spec"}
SKIP = {"comment", "command_argument_sep", "empty_statement"}
CONSTANTS = {"true": True, "false": False, "null": None}


def parse(text: str) -> Node:
    return parse_cached(text)[0]


@functools.lru_cache(maxsize=16)
def parse_cached(text: str) -> tuple[Node, dict[int, Node]]:
    """The script's syntax tree and its unwrap memo (cached per text, as PowerShell caches
    compiled scripts; every run still interprets the tree)."""
    tree = tree_sitter.Parser(LANGUAGE).parse(text.encode("utf-8"))
    bad = _first_error(tree.root_node)
    if bad is not None:
        row, col = bad.start_point
        raise PSError(f"At line:{row + 1} char:{col + 1}: unexpected token "
                      f"'{_text(bad)[:30]}' in expression or statement.",
                      "ParseException", "ParserError",
                      "System.Management.Automation.ParseException", terminating=True)
    return tree.root_node, {}


def _first_error(node: Node) -> Node | None:
    if node.is_error or node.is_missing:
        return node
    if not node.has_error:
        return None
    for child in node.children:
        found = _first_error(child)
        if found is not None:
            return found
    return node


def _unwrap(node: Node) -> Node:
    while node.type in WRAPPERS:
        named = [c for c in node.named_children if c.type not in SKIP]
        if len(named) != 1 or (len(node.children) != 1 and node.type not in (
                "pipeline", "string_literal", "integer_literal", "member_name", "type_spec",
                "command_name_expr", "key_expression")):
            break
        node = named[0]
    return node


@functools.lru_cache(maxsize=65536)  # nodes of cached trees: the same text every run
def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", errors="replace")


def _var_name(node: Node) -> str:
    text = _text(node)[1:]
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    scope, _, name = text.rpartition(":")
    if scope and scope.lower() not in ("script", "global", "local", "private"):
        raise unsupported(f"variable scope '{scope}:'")
    return name


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "`": "`", '"': '"', "$": "$"}


def _unescape(text: str) -> str:
    return re.sub(r"`(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text).replace('""', '"')


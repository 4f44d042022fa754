"""An AST interpreter for the PowerShell subset the checker's collectors use.

Scripts are parsed with tree-sitter-powershell and evaluated node by node; nothing is ever
recognised by its text. A parse error fails the whole script (as real PowerShell's
ParseException does), and a construct outside the subset is a loud PowerShell error.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import tree_sitter
import tree_sitter_powershell

from .casts import call_method, cast, operate
from .values import (
    Hashtable,
    KeyedCollection,
    PSError,
    PSObj,
    collapse,
    compare,
    enumerate_value,
    property_of,
    to_string,
    truthy,
    unsupported,
)

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


class Scope:
    def __init__(self, parent: Scope | None = None) -> None:
        self.vars: dict[str, Any] = {}
        self.parent = parent

    def lookup(self, name: str) -> Any:
        scope: Scope | None = self
        while scope is not None:
            if name.lower() in scope.vars:
                return scope.vars[name.lower()]
            scope = scope.parent
        return None

    def set(self, name: str, value: Any) -> None:
        self.vars[name.lower()] = value


@dataclass(frozen=True)
class ScriptBlock:
    node: Node

    def __str__(self) -> str:
        return _text(self.node)[1:-1]


class Interpreter:
    """Runs one script. `engine` provides cmdlets; `writer` the error stream and sleeping."""

    def __init__(self, engine: Any, writer: Any) -> None:
        self.engine, self.writer = engine, writer
        self.errors: list[Any] = []  # $Error, newest first
        self.try_depth = 0
        self._unwrapped: dict[int, Node] = {}
        self.global_scope = Scope()
        self.global_scope.set("ErrorActionPreference", "Continue")

    def run(self, text: str, pipeline_input: list[Any]) -> list[Any]:
        root, self._unwrapped = parse_cached(text)
        self.global_scope.set("input", pipeline_input)
        return self.block(root, self.global_scope)

    # ------------------------------------------------------------------ statements
    def block(self, node: Node, scope: Scope) -> list[Any]:
        out: list[Any] = []
        for child in node.named_children:
            if child.type in SKIP:
                continue
            try:
                if child.type in CONTAINERS:
                    out.extend(self.block(child, scope))
                else:
                    out.extend(self.statement(child, scope))
            except PSError as e:
                e.partial = out + getattr(e, "partial", [])  # type: ignore[attr-defined]
                raise
        return out

    def statement(self, node: Node, scope: Scope) -> list[Any]:
        try:
            return self._statement(node, scope)
        except PSError as e:
            stop = str(scope.lookup("ErrorActionPreference")).lower() == "stop"
            if e.terminating or self.try_depth or stop:
                raise
            self.report(e)
            return []

    def report(self, error: PSError) -> None:
        """A statement-terminating error outside try: written, and the script carries on."""
        self.errors.insert(0, error.record())
        self.writer.error(error)

    def _statement(self, node: Node, scope: Scope) -> list[Any]:
        kind = node.type
        handler = getattr(self, "st_" + kind, None)
        if handler is not None:
            return list(handler(node, scope))
        if kind in ("pipeline", "pipeline_chain"):
            inner = self._unwrap(node)
            if inner.type == "assignment_expression":
                self.st_assignment_expression(inner, scope)
                return []
            if inner.type in ("pipeline_chain", "command"):
                return self.run_pipeline(inner, scope)
            return enumerate_value(self.ev(inner, scope))
        raise unsupported(f"statement '{kind}'")

    def st_assignment_expression(self, node: Node, scope: Scope) -> list[Any]:
        target, op, value_node = node.named_children[0], node.named_children[1], node.children[-1]
        value = self.pipeline_value(value_node, scope)
        operator = _text(op)
        if operator != "=":
            value = operate(operator[0], self.ev(target, scope), value)
        self.assign(self._unwrap(target), value, scope)
        return []

    def st_if_statement(self, node: Node, scope: Scope) -> list[Any]:
        named = node.named_children
        if truthy(self.pipeline_value(named[0], scope)):
            return self.block(named[1], scope)
        for clause in named[2:]:
            if clause.type == "elseif_clause":
                cond, body = clause.named_children[0], clause.named_children[1]
                if truthy(self.pipeline_value(cond, scope)):
                    return self.block(body, scope)
            elif clause.type == "else_clause":
                return self.block(clause.named_children[0], scope)
        return []

    def st_foreach_statement(self, node: Node, scope: Scope) -> list[Any]:
        var, source, body = node.named_children[0], node.named_children[1], node.named_children[-1]
        out: list[Any] = []
        for item in enumerate_value(self.pipeline_value(source, scope)):
            scope.set(_var_name(var), item)
            out.extend(self.block(body, scope))
        return out

    def st_try_statement(self, node: Node, scope: Scope) -> list[Any]:
        body = node.named_children[0]
        clauses = [c for c in node.named_children[1:] if c.type == "catch_clauses"]
        self.try_depth += 1
        try:
            return self.block(body, scope)
        except PSError as e:
            error = e
        finally:
            self.try_depth -= 1
        self.errors.insert(0, error.record())
        catch = clauses[0].named_children[0] if clauses else None
        if catch is None or any(c.type == "catch_type_list" for c in catch.named_children):
            raise error
        saved = scope.vars.get("_")
        scope.set("_", error.record())
        try:
            return list(getattr(error, "partial", [])) + self.block(catch.named_children[-1], scope)
        finally:
            scope.vars["_"] = saved

    # ------------------------------------------------------------------ pipelines
    def pipeline_value(self, node: Node, scope: Scope) -> Any:
        """A value in expression position: a pure expression keeps its value (`@(1)` stays
        an array); a pipeline with commands collapses its output."""
        inner = self._unwrap(node)
        if inner.type in ("pipeline_chain", "command"):
            return collapse(self.run_pipeline(inner, scope))
        if inner.type == "assignment_expression":
            raise unsupported("assignment used as a value")
        return self.ev(inner, scope)

    def run_pipeline(self, chain: Node, scope: Scope) -> list[Any]:
        elements = [c for c in chain.named_children if c.type not in SKIP] \
            if chain.type == "pipeline_chain" else [chain]
        items: list[Any] = []
        for index, element in enumerate(elements):
            if element.type == "command":
                items = self.run_command(element, items, scope)
            elif index == 0:
                items = enumerate_value(self.ev(element, scope))
            else:
                raise unsupported("an expression after '|'")
        return items

    def run_command(self, node: Node, items: list[Any], scope: Scope) -> list[Any]:
        named = [c for c in node.named_children if c.type not in SKIP]
        elements = next((c for c in named if c.type == "command_elements"), None)
        positional, params = self.bind(elements, scope)
        head = named[0]
        if head.type == "command_invokation_operator":
            target = self.ev(self._unwrap(named[1]), scope)
            if isinstance(target, ScriptBlock):
                return self.invoke_block(target, scope, items)
            return self.engine.call(self, str(target), positional, params, items, scope)
        if head.type != "command_name":
            raise unsupported(f"command '{head.type}'")
        return self.engine.call(self, _text(head), positional, params, items, scope)

    def bind(self, elements: Node | None, scope: Scope) -> tuple[list[Any], dict[str, Any]]:
        positional: list[Any] = []
        params: dict[str, Any] = {}
        pending: str | None = None
        for child in elements.named_children if elements is not None else []:
            if child.type in SKIP:
                continue
            if child.type == "command_parameter":
                if pending is not None:
                    params[pending] = True
                pending = _text(child)[1:].rstrip(":").lower()
                if pending in self.engine.switches and not _text(child).endswith(":"):
                    params[pending], pending = True, None
                continue
            value = _text(child) if child.type == "generic_token" else self.ev(child, scope)
            if pending is not None:
                params[pending], pending = value, None
            else:
                positional.append(value)
        if pending is not None:
            params[pending] = True
        return positional, params

    def invoke_block(self, block: ScriptBlock, scope: Scope, items: list[Any] | None = None,
                     current: Any = None, with_current: bool = False) -> list[Any]:
        child = Scope(scope)
        child.set("input", items or [])
        if with_current:
            child.set("_", current)
            child.set("PSItem", current)
        body = [c for c in block.node.named_children if c.type not in SKIP]
        if any(c.type == "param_block" for b in body for c in b.named_children):
            raise unsupported("param() blocks")
        out: list[Any] = []
        for part in body:
            out.extend(self.block(part, child) if part.type in CONTAINERS
                       else self.statement(part, child))
        return out

    # ------------------------------------------------------------------ assignment targets
    def assign(self, target: Node, value: Any, scope: Scope) -> None:
        if target.type == "variable":
            name = _var_name(target)
            if name.lower() not in CONSTANTS:
                scope.set(name, value)
            return
        if target.type == "element_access":
            container = self.ev(target.named_children[0], scope)
            key = self.ev(target.named_children[1], scope)
            if isinstance(container, Hashtable):
                container.set_ci(key, value)
            elif isinstance(container, list):
                container[int(key)] = value
            else:
                raise PSError("Unable to index into an object of that type.", "CannotIndex")
            return
        if target.type == "member_access":
            obj = self.ev(target.named_children[0], scope)
            name = _text(target.named_children[-1])
            if isinstance(obj, Hashtable):
                obj.set_ci(name, value)
            elif isinstance(obj, PSObj):
                obj.props[name] = value
            else:
                raise PSError(f"The property '{name}' cannot be found on this object.",
                              "PropertyNotFound")
            return
        raise unsupported(f"assignment to '{target.type}'")

    # ------------------------------------------------------------------ expressions
    def _unwrap(self, node: Node) -> Node:
        """_unwrap memoised per node (one tree per run): walking tree-sitter's wrapper
        chains dominated the run time."""
        hit = self._unwrapped.get(node.id)
        if hit is None:
            hit = self._unwrapped[node.id] = _unwrap(node)
        return hit

    def ev(self, node: Node, scope: Scope) -> Any:
        node = self._unwrap(node)
        handler = getattr(self, "ex_" + node.type, None)
        if handler is None:
            raise unsupported(f"expression '{node.type}' ({_text(node)[:40]!r})")
        return handler(node, scope)

    def ex_pipeline_chain(self, node: Node, scope: Scope) -> Any:
        return collapse(self.run_pipeline(node, scope))

    ex_command = ex_pipeline_chain

    def ex_variable(self, node: Node, scope: Scope) -> Any:
        name = _var_name(node)
        if name.lower() in CONSTANTS:
            return CONSTANTS[name.lower()]
        if name.lower() == "error":
            return self.errors
        return scope.lookup(name)

    def ex_decimal_integer_literal(self, node: Node, scope: Scope) -> Any:
        text = _text(node)
        if not text.isdigit():
            raise unsupported(f"number literal {text!r}")
        return int(text)

    def ex_hexadecimal_integer_literal(self, node: Node, scope: Scope) -> Any:
        return int(_text(node), 16)

    def ex_real_literal(self, node: Node, scope: Scope) -> Any:
        return float(_text(node))

    def ex_verbatim_string_characters(self, node: Node, scope: Scope) -> Any:
        text = _text(node)[1:-1]
        for quote in "'\u2018\u2019\u201a\u201b":  # PowerShell's single quotes, doubled
            text = text.replace(quote * 2, quote)
        return text

    def ex_expandable_string_literal(self, node: Node, scope: Scope) -> Any:
        text, start, parts = node.text or b"", node.start_byte, []
        pos = 1
        for child in node.named_children:
            parts.append(_unescape(text[pos:child.start_byte - start].decode()))
            parts.append(to_string(self.ev(child, scope)))
            pos = child.end_byte - start
        parts.append(_unescape(text[pos:-1].decode()))
        return "".join(parts)

    def ex_generic_token(self, node: Node, scope: Scope) -> Any:
        return _text(node)

    ex_simple_name = ex_generic_token

    def ex_script_block_expression(self, node: Node, scope: Scope) -> Any:
        return ScriptBlock(node)

    def ex_array_expression(self, node: Node, scope: Scope) -> Any:
        return self.block(node, scope)

    def ex_sub_expression(self, node: Node, scope: Scope) -> Any:
        return collapse(self.block(node, scope))

    def ex_parenthesized_expression(self, node: Node, scope: Scope) -> Any:
        return self.pipeline_value(node.named_children[0], scope)

    def ex_hash_literal_expression(self, node: Node, scope: Scope) -> Any:
        table = Hashtable()
        for body in node.named_children:
            for entry in body.named_children:
                if entry.type != "hash_entry":
                    continue
                key = self.ev(entry.named_children[0], scope)
                table.set_ci(key, self.pipeline_value(entry.named_children[-1], scope))
        return table

    def ex_array_literal_expression(self, node: Node, scope: Scope) -> Any:
        return [self.ev(c, scope) for c in node.named_children]

    def ex_expression_with_unary_operator(self, node: Node, scope: Scope) -> Any:
        op = _text(node.children[0]).lower()
        value = self.ev(node.children[-1], scope)
        if op == ",":
            return [value]
        if op in ("-not", "!"):
            return not truthy(value)
        if op == "-":
            return -value
        raise unsupported(f"unary operator {op!r}")

    def ex_cast_expression(self, node: Node, scope: Scope) -> Any:
        type_text = _text(node.named_children[0])[1:-1]
        return cast(type_text, self.ev(node.named_children[1], scope))

    def ex_logical_expression(self, node: Node, scope: Scope) -> Any:
        result = truthy(self.ev(node.children[0], scope))
        for op, operand in zip(node.children[1::2], node.children[2::2], strict=True):
            kind = _text(op).lower()
            if kind == "-and":
                result = result and truthy(self.ev(operand, scope))
            elif kind == "-or":
                result = result or truthy(self.ev(operand, scope))
            else:
                result = result != truthy(self.ev(operand, scope))
        return result

    def ex_comparison_expression(self, node: Node, scope: Scope) -> Any:
        value = self.ev(node.children[0], scope)
        for op, operand in zip(node.children[1::2], node.children[2::2], strict=True):
            value = compare(_text(op), value, self.ev(operand, scope))
        return value

    def ex_additive_expression(self, node: Node, scope: Scope) -> Any:
        value = self.ev(node.children[0], scope)
        for op, operand in zip(node.children[1::2], node.children[2::2], strict=True):
            value = operate(_text(op), value, self.ev(operand, scope))
        return value

    ex_multiplicative_expression = ex_additive_expression

    def ex_range_expression(self, node: Node, scope: Scope) -> Any:
        low, high = int(self.ev(node.children[0], scope)), int(self.ev(node.children[-1], scope))
        return list(range(low, high + 1) if low <= high else range(low, high - 1, -1))

    def ex_member_access(self, node: Node, scope: Scope) -> Any:
        if node.children[1].type == "::":
            raise unsupported("static member access")
        return property_of(self.ev(node.children[0], scope), _text(node.children[-1]))

    def ex_element_access(self, node: Node, scope: Scope) -> Any:
        target = self.ev(node.named_children[0], scope)
        key = self.ev(node.named_children[1], scope)
        if isinstance(key, list):
            return [_index(target, k) for k in key]
        return _index(target, key)

    def ex_invokation_expression(self, node: Node, scope: Scope) -> Any:
        named = node.named_children
        target = self.ev(named[0], scope)
        args_node = named[-1]
        args = [self.ev(a, scope) for e in args_node.named_children for a in e.named_children
                if a.type not in SKIP] if args_node.type == "argument_list" else []
        return call_method(target, _text(named[-2]), args)


def _index(target: Any, key: Any) -> Any:
    if isinstance(target, Hashtable):
        return target.get_ci(key)
    if isinstance(target, KeyedCollection):
        return target.lookup(str(key)) if isinstance(key, str) else target.items[int(key)]
    if isinstance(target, (list, str)):
        try:
            return target[int(key)]
        except IndexError:
            return None
    if target is None:
        raise PSError("Cannot index into a null array.", "NullArray", "InvalidOperation")
    raise PSError(f"Unable to index into an object of type {type(target).__name__}.",
                  "CannotIndex", "InvalidOperation")


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

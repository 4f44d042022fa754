"""Expression evaluation for the lab interpreter: one `ex_<node type>` method per
supported tree-sitter node; anything else is a loud PowerShell error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .casts import call_method, cast, operate
from .syntax import CONSTANTS, SKIP, Node, _text, _unescape, _unwrap, _var_name
from .values import (
    Hashtable,
    KeyedCollection,
    PSError,
    collapse,
    compare,
    property_of,
    to_string,
    truthy,
    unsupported,
)


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


class Expressions:
    """Mixed into Interpreter, which provides the statements, pipelines and scopes."""

    _unwrapped: dict[int, Node]
    engine: Any

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
        return call_method(target, _text(named[-2]), args, self.engine.timezone)


def _index(target: Any, key: Any) -> Any:
    if isinstance(target, Hashtable):
        return target.get_ci(key)
    if isinstance(target, KeyedCollection):  # KeyedCollection<TKey,TItem>: a missing key throws
        if not isinstance(key, str):
            return target.items[int(key)]
        found = target.lookup(key)
        if found is None:
            raise PSError('Exception getting "Item": "The given key was not present in the '
                          'dictionary."', "ExceptionWhenGetting", "NotSpecified",
                          "System.Management.Automation.GetValueInvocationException")
        return found
    if isinstance(target, (list, str)):
        try:
            return target[int(key)]
        except IndexError:
            return None
    if target is None:
        raise PSError("Cannot index into a null array.", "NullArray", "InvalidOperation")
    raise PSError(f"Unable to index into an object of type {type(target).__name__}.",
                  "CannotIndex", "InvalidOperation")

"""An AST interpreter for the PowerShell subset the checker's collectors use.

Scripts are parsed with tree-sitter-powershell and evaluated node by node; nothing is ever
recognised by its text. A parse error fails the whole script (as real PowerShell's
ParseException does), and a construct outside the subset is a loud PowerShell error.
"""

from __future__ import annotations

from typing import Any

from .casts import operate
from .expressions import Expressions, Scope, ScriptBlock
from .syntax import (
    CONSTANTS,
    CONTAINERS,
    SKIP,
    Node,
    _text,
    _var_name,
    parse_cached,
)
from .values import (
    Hashtable,
    PSError,
    PSObj,
    collapse,
    enumerate_value,
    truthy,
    unsupported,
)


class Interpreter(Expressions):
    """Runs one script. `engine` provides cmdlets; `writer` the error stream and sleeping."""

    def __init__(self, engine: Any, writer: Any) -> None:
        self.engine, self.writer = engine, writer
        self.errors: list[Any] = []  # $Error, newest first
        self.try_depth = 0
        self.imported: set[str] = set()  # modules imported in this runspace
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

from __future__ import annotations

import pytest

from checker.errors import ExpressionError
from checker.lang.expressions import evaluate, problems, render


def test_native_rendering_keeps_lists() -> None:
    items = [{"type": "AD", "name": "a"}, {"type": "Extensible2", "name": "b"}]
    out = render("{{ xs | selectattr('type', 'eq', 'AD') | list }}", {"xs": items})
    assert out == [items[0]]
    assert render("connector {{ n }}", {"n": "x"}) == "connector x"


@pytest.mark.parametrize(
    ("version", "op", "other", "expected"),
    [("1.6.16.0", ">=", "1.1.105.0", True), ("1.1.100.0", "<", "1.1.105.0", True),
     ("2.5.79.0", "ge", "2.5.79", True), ("2.4.27.0", ">=", "2.5.79.0", False)],
)
def test_ansible_version_test(version: str, op: str, other: str, expected: bool) -> None:
    assert evaluate(f"v is version('{other}', '{op}')", {"v": version}) is expected


def test_strict_undefined_is_an_error() -> None:
    with pytest.raises(ExpressionError, match="undefined"):
        evaluate("connectors.nope", {"connectors": {}})


@pytest.mark.parametrize(
    "template",
    ["''.__class__.__mro__", "x.__globals__", "x['__builtins__']", "cycler.__init__"],
)
def test_sandbox_escapes_are_refused_before_running(template: str) -> None:
    assert problems(template, expression=True)
    with pytest.raises(ExpressionError):
        evaluate(template, {"x": object()})


def test_syntax_errors_are_reported() -> None:
    assert problems("{{ a. }}", expression=False) == ["template syntax error: expected name or number"]

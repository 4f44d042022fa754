"""The bounded sandbox: every way to make an expression compute without end is refused
quickly, with a message naming the limit; ordinary expressions are untouched."""

from __future__ import annotations

import threading
import time

import pytest

from checker.errors import ExpressionError
from checker.evaluate import engine
from checker.lang import sandbox
from checker.lang.expressions import evaluate, render
from checker.lang.sandbox import SandboxLimit, TimeLimitExceeded, time_limit
from tests.unit.test_engine import apply, rule

REFUSED_EXPRESSIONS = [
    ("10 ** (10 ** 9)", "bits"),
    ("(2 ** 2000) * (2 ** 2000) * (2 ** 2000)", "bits"),
    ("'x' * 10 ** 7", "repetition"),
    ("[1, 2] * 10 ** 6", "repetition"),
    ("(['x' * 1000] * 1000) * 10", "repetition"),
    ("range(99999999) | list | length", "range(99999999)"),
    ("'%1000000000d' % 1", "% format"),
    ("'%*d' % (5, 1)", "`*` width"),
    ("'{:>1000000000}'.format(1)", "format field"),
    ("'{:{}}'.format(1, 10)", "nested"),
    ("'x'.ljust(10 ** 9)", "ljust"),
    ("'x'.zfill(10 ** 9)", "zfill"),
    ("('x' * 1000).replace('', 'y' * 10000)", "replace"),
    ("'-'.join(['x' * 1000] * 1000)", "repetition"),
    ("'x' | center(10 ** 9)", "center"),
    ("'a\\nb' | indent(10 ** 7)", "indent"),
    ("'%1000000000s' | format(1)", "% format"),
    ("range(10) | slice(10 ** 8) | list | length", "slice"),
    ("range(10) | batch(10 ** 8, 0) | list | length", "batch"),
    # one bounded step each, but far more text than went in (were built in full)
    ("('x' * 1000) | replace('x', 'x' * 1001)", "replace"),
    ("['x' * 600000, 'x' * 600000] | join", "join"),
    ("range(1000) | map('string') | join('x' * 10000)", "join"),
    ("[1] | tojson(indent=10 ** 8)", "tojson"),
    ("('\"' * 600000) | tojson", "tojson"),
    ("'{0}{0}{0}{0}{0}{0}{0}{0}{0}{0}'.format('x' * 200000)", "format()"),
    ("('x' * 600000) ~ ('x' * 600000)", "concatenation"),
    ("'xxxx'.translate({120: 'y' * 1000000})", "call"),
    ("'%s%s%s%s%s' % ('x' * 300000, 'x' * 300000, 'x' * 300000, 'x' * 300000, 'x' * 300000)",
     "% format"),
]


@pytest.mark.parametrize(("source", "named"), REFUSED_EXPRESSIONS)
def test_unbounded_computations_are_refused(source: str, named: str) -> None:
    started = time.monotonic()
    with pytest.raises(SandboxLimit, match=r"sandbox allows|not allowed") as caught:
        evaluate(source, {})
    assert named in str(caught.value)
    assert time.monotonic() - started < 2  # refused up front, not after the work


@pytest.mark.parametrize(
    ("source", "expected"),
    [("2 ** 64", 2**64), ("'ab' * 3", "ababab"), ("[0] * 3", [0, 0, 0]),
     ("range(5) | list", [0, 1, 2, 3, 4]), ("'%5.2f' % 1.5", " 1.50"),
     ("'{:>4}'.format(7)", "   7"), ("'x' | center(5)", "  x  "), ("2 ** -2", 0.25),
     ("'a,b'.replace(',', ';')", "a;b"), ("'-'.join(['a', 'b'])", "a-b"), ("3 % 2", 1),
     ("'a' ~ 1 ~ none", "a1None"), ("[1, 2] | join(',')", "1,2"), ("'ab' | replace('a', 'c')",
     "cb"), ("'{0}-{0}'.format('a')", "a-a"), ("[1] | tojson(indent=2)", "[\n  1\n]"),
     ("range(3) | map('string') | join('-')", "0-1-2"), ("'%s/%s' % ('a', 'b')", "a/b")],
)
def test_ordinary_expressions_are_unchanged(source: str, expected: object) -> None:
    assert evaluate(source, {}) == expected


@pytest.mark.parametrize(
    "template",
    [
        # a loop-carried doubling: only a namespace carries state between iterations
        "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}{{ ns.s | length }}",
        "{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}",  # output size
    ],
)
def test_templates_cannot_grow_without_bound(template: str) -> None:
    with pytest.raises(SandboxLimit, match="sandbox allows"):
        render(template, {})


@pytest.mark.parametrize(
    "template",
    [
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}x",
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
        "{{ f(60) }}",
    ],
)
def test_a_template_stops_at_the_time_limit(template: str, monkeypatch) -> None:
    monkeypatch.setattr(sandbox, "TIME_LIMIT_S", 0.3)
    started = time.monotonic()
    with pytest.raises(TimeLimitExceeded, match=r"time limit of 0\.3 s"):
        render(template, {})
    assert time.monotonic() - started < 5


def test_the_time_limit_works_in_any_thread(monkeypatch) -> None:
    monkeypatch.setattr(sandbox, "TIME_LIMIT_S", 0.3)
    caught: list[BaseException] = []

    def work() -> None:
        try:
            render("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}"
                   "{% endfor %}", {})
        except ExpressionError as e:
            caught.append(e)

    t = threading.Thread(target=work)
    t.start()
    t.join(10)
    assert not t.is_alive() and isinstance(caught[0], TimeLimitExceeded)


def test_an_inner_limit_cannot_extend_an_outer_one() -> None:
    with time_limit(0.05), time_limit(100):
        time.sleep(0.1)
        with pytest.raises(TimeLimitExceeded):
            sandbox.tick()
    sandbox.tick()  # restored: no deadline outside


def test_a_rule_past_its_time_limit_is_an_error_row(tmp_path, monkeypatch) -> None:
    """Each object is quick, but a rule has one budget on a host: it stops, as one error."""
    monkeypatch.setattr(engine, "RULE_TIME_LIMIT_S", 0.2)
    slow = rule(for_each="{{ range(100000) | list }}",
                expect=[{"that": "(range(50) | map('string') | join) != ''"}])
    rows = apply(tmp_path, [slow, rule(id="T-NEXT")]).results
    assert [r.status.value for r in rows] == ["error", "pass"]
    assert "time limit of 0.2 s" in rows[0].message


def test_an_expression_bomb_in_a_rule_is_an_error_row_at_once(tmp_path) -> None:
    bomb = rule(expect=[{"that": "10 ** (10 ** 9) > 0"}])
    row = apply(tmp_path, [bomb]).results[0]
    assert row.status.value == "error" and "bits" in row.message


ALIAS_GRAPH = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
# 300 bytes that are 9^9 references once written out


@pytest.mark.parametrize(("template", "named"), [
    ("{{ graph | from_yaml | to_json | length }}", "to_json"),
    ("{{ graph | from_yaml | string | length }}", "string"),
    ("{{ ('x' * 1000) | regex_replace('(x)', '\\1' * 1000) | length }}", "regex_replace()"),
])
def test_inventory_filters_are_bounded_too(template: str, named: str) -> None:
    """Filters the inventory adds after the sandbox is built (Ansible's) are bounded as well:
    a YAML alias graph written out by to_json took 60 s and 1.5 GB in one C call."""
    from checker.inventory.jinja import TemplateFailure, compile_template
    from checker.inventory.jinja import render as render_inventory

    started = time.monotonic()
    with pytest.raises(TemplateFailure, match="sandbox allows") as caught:
        render_inventory(compile_template(template)[0], {"graph": ALIAS_GRAPH})
    assert named in str(caught.value) and time.monotonic() - started < 2

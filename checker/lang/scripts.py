"""Where a `script:` template puts its values: only where a PowerShell literal is data.

Every `{{ value }}` in a remediation script renders as a complete PowerShell literal
(`'text'`, a number, `$true`). That literal is data in code (`Set-X -Identity {{ item.dn }}`),
but not inside a string or a block comment of the script's own text:

    Write-Host "Fix {{ item.name }}"     # a $(...) in the name runs; a " in it ends the string
    Write-Host 'Fix {{ item.name }}'     # the literal's own quotes end the string
    <# {{ item.name }} #>                # a #> in the name ends the comment

Rule loading refuses these (`checker validate` with file:line), before anything runs.
The template is lexed by Jinja itself (so `{% raw %}` text is text), each `{{ ... }}` stands
in as one character, and `checker.wire.ps_scan` says what PowerShell construct holds it.
"""

from __future__ import annotations

from collections.abc import Iterable

import jinja2

from checker.lang.expressions import SCRIPT_ENV
from checker.wire.ps_scan import VALUE, context_at, quoted_spans

_OUTSIDE = "put it outside the quotes: ('Fix ' + {0}) or ('Fix {{0}}' -f {0})"
_ADVICE = {
    "single-quoted string": "its own quotes end the string; " + _OUTSIDE,
    "double-quoted string": "its quotes are text and a $(...) or \" in the value runs; " + _OUTSIDE,
    "here-string": "its quotes are text, and in @\"...\"@ a $(...) in the value runs; " + _OUTSIDE,
    "block comment": "a #> in the value ends the comment; use a # line comment",
    "braced variable name": "it becomes part of a variable's name; use it as a value",
}


def misplaced_values(template: str) -> list[tuple[int, str]]:
    """(line in the template, message) for each `{{ ... }}` inside a string or comment."""
    if "{{" not in template:
        return []
    try:
        tokens = list(SCRIPT_ENV.lex(template))
    except jinja2.TemplateSyntaxError:
        return []  # reported as a syntax error by `expressions.problems`
    text, values = value_places(tokens)
    spans = quoted_spans(text)
    out = []
    for offset, line, source in values:
        where = context_at(spans, offset)
        if where:
            out.append((line, f"{source} is inside a {where}: a templated value is a quoted "
                              f"PowerShell literal, so {_ADVICE[where].format(source)}"))
    return out


def value_places(tokens: Iterable[tuple[int, str, str]]) -> tuple[str, list[tuple[int, int, str]]]:
    """The script as PowerShell sees its shape, and (offset, line, source) of each value."""
    parts: list[str] = []
    values: list[tuple[int, int, str]] = []
    expression: list[str] | None = None
    size = start = 0
    for line, kind, value in tokens:
        if kind == "data":
            parts.append(value)
            size += len(value)
        elif kind == "variable_begin":
            expression, start = [], line
        elif kind == "variable_end" and expression is not None:
            values.append((size, start, "{{ " + "".join(expression).strip() + " }}"))
            parts.append(VALUE)
            size, expression = size + 1, None
        elif expression is not None:
            expression.append(value)
    return "".join(parts), values

"""Where a templated value lands in a remediation script, checked against
tree-sitter-powershell: every `{{ value }}` of the shipped rules, hand-made edge cases and a
seeded mix of PowerShell's string and comment forms are classified the same by
`checker.wire.ps_scan` (what rule loading uses; no parser at run time) and by the grammar."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import tree_sitter
import tree_sitter_powershell
import yaml

from checker.lang.expressions import SCRIPT_ENV
from checker.lang.scripts import misplaced_values, value_places
from checker.ruleset.loader import load_rules
from checker.wire.ps_scan import context_at, quoted_spans
from tests.hostile_estate import RULES as HOSTILE_RULES

ROOT = Path(__file__).parent.parent.parent
PS = tree_sitter.Language(tree_sitter_powershell.language())
STRINGS = {"expandable_string_literal": "double-quoted string",
           "verbatim_string_characters": "single-quoted string",
           "expandable_here_string_literal": "here-string",
           "verbatim_here_string_characters": "here-string"}
EDGES = [
    'Write-Host "Fix {{ x }}"', "Write-Host 'Fix {{ x }}'", "Write-Output {{ x }}",
    "# note {{ x }}\nSet-X -Identity {{ y }}", "<# {{ x }} #> Set-X {{ y }}",
    '@"\nFix {{ x }}\n"@\nSet-X {{ y }}', "@'\nFix {{ x }}\n'@\nSet-X {{ y }}",
    'Write-Output "a $("b") c" {{ x }}', 'Write-Output "a $(Get-X {{ x }}) c"',
    'Write-Output "a `" {{ x }}"', "Write-Output 'it''s {{ x }}' {{ y }}",
    "Set-X -Name:{{ x }} -Value @{a = {{ y }}; b = @({{ z }})}",
    "${a{{ x }}} = 1", "Write-Output a#b {{ x }}", "$x = 'a';# {{ x }}\n{{ y }}",
    'Write-Output "{{ x }}"#"\n{{ y }}', 'Write-Output {{ x }}#"\n{{ y }}',
    '@"\n"inner" {{ x }}\n"@\n{{ y }}', "if ($a) { '{{ x }}' } else { {{ y }} }",
    '"$(\'{{ x }}\')"', "Write-Output {% raw %}'{{ x }}'{% endraw %} {{ y }}",
    'Write-Output "a\nb {{ x }}\nc" {{ y }}',
]
ARGUMENTS = ['"a {{ v }} b"', "'a {{ v }} b'", "{{ v }}", '"$("x") {{ v }}"', "'it''s'",
             '"`"q"', "@{k = {{ v }}}", "$({{ v }})", '"a$(Get-Y "{{ v }}")b"', "${n}", "a#b",
             "(1 + {{ v }})", "'<#'", '"#>"', "<# {{ v }} #>", '"{{ v }}"#"']
STATEMENTS = ['@"\n{{ v }} "q"\n"@', "@'\n{{ v }} 'q'\n'@", "Write-Output 1 # {{ v }} 'x", '$a = "{{ v }}"']


def _grammar(text: str, offset: int) -> str | None:
    """tree-sitter's view: the outermost string, block comment or braced name at `offset`."""
    source = text.encode()
    at = len(text[:offset].encode())
    node = tree_sitter.Parser(PS).parse(source).root_node.descendant_for_byte_range(at, at + 1)
    found = None
    while node is not None:
        body = source[node.start_byte:node.end_byte]
        if node.type == "comment" and body.startswith(b"<#"):
            found = "block comment"
        elif node.type in STRINGS:
            found = STRINGS[node.type]
        elif node.type == "braced_variable":
            found = "braced variable name"
        node = node.parent
    return found


def _both(template: str) -> list[tuple[str | None, str | None]]:
    text, values = value_places(SCRIPT_ENV.lex(template))
    spans = quoted_spans(text)
    shown = text.replace("\ue000", "7")
    tree = tree_sitter.Parser(PS).parse(shown.encode())
    assert not tree.root_node.has_error, shown
    return [(context_at(spans, offset), _grammar(shown, offset)) for offset, _, _ in values]


def _shipped_scripts() -> list[str]:
    rules = load_rules([str(ROOT / "rules")]).rules
    return [t.script for r in rules for t in r.remediation if t.script and "{{" in t.script]


@pytest.mark.parametrize("template", EDGES)
def test_edge_cases_agree_with_tree_sitter(template: str) -> None:
    for ours, grammar in _both(template):
        assert ours == grammar, template


def test_a_seeded_mix_agrees_with_tree_sitter() -> None:
    rng = random.Random(15)
    seen: set[str | None] = set()
    for _ in range(300):
        lines = [rng.choice(STATEMENTS) if rng.random() < 0.3 else
                 "Write-Output " + " ".join(rng.choices(ARGUMENTS, k=rng.randint(1, 5)))
                 for _ in range(rng.randint(1, 4))]
        template = "\n".join(lines)
        for ours, grammar in _both(template):
            assert ours == grammar, template
            seen.add(ours)
    assert seen == {None, "double-quoted string", "single-quoted string", "here-string",
                    "block comment"}


def test_every_shipped_script_puts_values_in_code_only() -> None:
    scripts = _shipped_scripts()  # Set-ADUser's; the steps whose values only an admin knows
    assert scripts  # (UPN suffix, external address) are manual, with no script
    hostile = [t["script"] for r in yaml.safe_load(HOSTILE_RULES)
               for t in r.get("remediation", []) if "script" in t]
    for script in [*scripts, *hostile]:
        assert all(ours is None and grammar is None for ours, grammar in _both(script)), script
        assert misplaced_values(script) == []


def test_a_backtick_escapes_a_quote_in_code() -> None:
    """`` `" `` is a quote character in a bare word (tree-sitter's grammar cannot parse it)."""
    assert misplaced_values('Write-Host `"{{ x }}') == []
    assert misplaced_values('Write-Host "`"{{ x }}"')[0][1].startswith(
        "{{ x }} is inside a double-quoted string")


def test_a_hash_right_after_a_value_opens_a_comment() -> None:
    """A value is a quoted token; PowerShell's tokenizer starts the next token at the `#`
    (NextToken), so the rest of the line is a comment, as after any string (tree-sitter
    agrees for `"7"#`; with the stand-in 7 it would see one bare word `7#x`)."""
    assert quoted_spans("Write-Output \ue000#x \"a\"") == []
    assert quoted_spans("Write-Output a#x \"a\"") == [(17, 20, "double-quoted string")]


def test_powershells_other_quote_characters() -> None:
    """CharTraits.cs: U+2018..U+201B quote like ', U+201C..U+201E like " (tree-sitter's
    grammar knows only the ASCII ones)."""
    assert misplaced_values("Write-Host \u201cFix {{ x }}\u201d")[0][1].startswith(
        "{{ x }} is inside a double-quoted string")
    assert misplaced_values("Write-Host \u2018Fix {{ x }}\u2019")[0][1].startswith(
        "{{ x }} is inside a single-quoted string")
    assert misplaced_values("Write-Host \u2018it\u2019\u2018s\u2019 {{ x }}") == []


def test_messages_name_the_value_its_line_and_the_fix() -> None:
    (line, message), = misplaced_values('# ok {{ a }}\nWrite-Host "Fix {{ item.name }}"\n')
    assert line == 2
    assert message.startswith("{{ item.name }} is inside a double-quoted string")
    assert "('Fix ' + {{ item.name }})" in message
    assert misplaced_values("{% if x %}{{ broken") == []  # a syntax error is reported elsewhere

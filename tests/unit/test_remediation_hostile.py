"""Hostile directory data, host names and secrets in every remediation output.

The estate is the recorded demo with a connector name and an Exchange organization that
carry Jinja, PowerShell statements behind every line separator (CRLF, CR, LF, NEL, LS, PS),
`#>`, quotes of every kind, Markdown and HTML; a host name closes block comments and breaks
lines; a secret with a backslash, a quote and markup is templated into steps and scripts.
The generated scripts are parsed with tree-sitter-powershell: the hostile text may only
ever sit inside a string literal or a comment, never be a command.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import tree_sitter
import tree_sitter_powershell

from checker.redact import encoded_forms
from checker.remediation.execute import describe_tasks
from checker.remediation.planner import host_plans
from checker.remediation.render import write_remediation
from tests.ansible_yaml import UnsafeText, load_playbook
from tests.hostile_estate import build, payload

SECRET = "s3cr\\et'pw&<x>"
DC = "dc01#>\r\nStop-Computer <b>x</b>"
AADC = "aadc01\u2028Restart-Computer"
# Commands planted in the hostile values: none may ever parse as a command.
PLANTED = ("Remove-Item", "Stop-Computer", "Get-Secret", "Restart-Computer", "Invoke-Expression",
           "calc", "alert")
# Every command the scripts may run: ours and the rules' own.
OURS = {"Write-Host", "Read-Host", "Confirm-ManualStep", "Write-Output"}
PS = tree_sitter.Language(tree_sitter_powershell.language())


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, object]:
    work = tmp_path_factory.mktemp("hostile")
    prepared, report = build(work, payload(work / "PWNED"), SECRET, DC, AADC)
    connections = {DC: "ldap", AADC: "psrp"}
    write_remediation(report, work / "out", prepared.redactor, connections)
    return work / "out", prepared, report


def _walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    yield node
    for child in node.children:
        yield from _walk(child)


def _inside_literal(node: tree_sitter.Node | None) -> bool:
    while node is not None:
        if node.type in ("comment", "string_literal"):
            return True
        node = node.parent
    return False


def test_every_host_gets_a_distinct_portable_script(estate: tuple[Path, object, object]) -> None:
    out, _, _ = estate
    scripts = sorted(p.name for p in out.glob("*.ps1"))
    assert len(scripts) == 2
    assert all(n.isascii() and "\r" not in n and "#" not in n and " " not in n for n in scripts)


def test_hostile_values_never_parse_as_commands(estate: tuple[Path, object, object]) -> None:
    out, _, _ = estate
    for script in out.glob("*.ps1"):
        source = script.read_bytes()
        tree = tree_sitter.Parser(PS).parse(source)
        assert not tree.root_node.has_error, f"{script.name} does not parse"
        commands = {source[n.start_byte:n.end_byte].decode() for n in _walk(tree.root_node)
                    if n.type == "command_name"}
        assert commands <= OURS, f"{script.name} runs {commands - OURS}"
        for word in PLANTED:
            at = source.find(word.encode())
            assert at >= 0, f"{word} should appear (as text) in {script.name}"
            while at >= 0:
                node = tree.root_node.descendant_for_byte_range(at, at + len(word))
                assert _inside_literal(node), f"{word} at byte {at} of {script.name} is code"
                at = source.find(word.encode(), at + 1)


def test_scripted_steps_stay_inside_should_process(estate: tuple[Path, object, object]) -> None:
    out, _, _ = estate
    for script in out.glob("*.ps1"):
        source = script.read_bytes()
        tree = tree_sitter.Parser(PS).parse(source)
        for node in _walk(tree.root_node):
            if node.type == "command_name" and source[node.start_byte:node.end_byte] == b"Write-Output":
                guard = node
                while guard is not None and guard.type != "if_statement":
                    guard = guard.parent
                assert guard is not None
                assert b"$PSCmdlet.ShouldProcess(" in source[guard.start_byte:guard.end_byte]


def test_header_is_line_comments_only(estate: tuple[Path, object, object]) -> None:
    out, _, _ = estate
    for script in out.glob("*.ps1"):
        text = script.read_text(encoding="utf-8")
        assert "<#" not in text.split("[CmdletBinding")[0]
        assert text.count("[CmdletBinding(") == 1


def test_secret_masked_in_every_encoding_of_every_file(estate: tuple[Path, object, object]) -> None:
    out, _, _ = estate
    forms = encoded_forms(SECRET)
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8")
        leaked = [f for f in forms if f in text]
        assert not leaked, f"{path.name} holds the secret as {leaked[0]!r}"
    assert "********" in (out / "plan.md").read_text()


def test_remediate_listing_masks_and_keeps_one_line_per_value(
        estate: tuple[Path, object, object]) -> None:
    _, prepared, report = estate
    listing = describe_tasks(host_plans(report.results), prepared.redactor)  # type: ignore[attr-defined]
    assert not [f for f in encoded_forms(SECRET) if f in listing]
    heads = [line for line in listing.split("\n") if not line.startswith("       ")]
    assert all(line.startswith(("  ", "aadc01", "dc01")) for line in heads), heads


def test_plan_md_escapes_markdown_and_html(estate: tuple[Path, object, object]) -> None:
    out, _, _ = estate
    md = (out / "plan.md").read_text(encoding="utf-8")
    outside_fences = "\n".join(md.split("````")[::2])
    for raw in ("<script>", "<b>", "](http://evil)", "**b**", "<!--", "\r", "\u2028", "\x85"):
        assert raw not in outside_fences, raw
    assert "&lt;script&gt;" in md and "\\[link\\]\\(http://evil\\)" in md
    assert "## dc01\\#&gt; Stop-Computer &lt;b&gt;x&lt;/b&gt;" in md
    fences = md.split("\n")
    opened = [line.strip() for line in fences if line.strip().startswith("````powershell")]
    assert opened, "scripts holding ``` are fenced with more backticks"


def test_playbook_values_are_unsafe(estate: tuple[Path, object, object]) -> None:
    out, _, _ = estate
    text = (out / "playbook.yml").read_text(encoding="utf-8")
    plays = load_playbook(text)

    def strings(value: object) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for v in value.values():
                yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)

    hostile = [s for s in strings(plays) if "lookup(" in s or "Stop-Computer" in s]
    assert hostile and all(isinstance(s, UnsafeText) for s in hostile)
    dc_play = next(p for p in plays if p["vars"]["checker_target"] == DC)
    assert dc_play["hosts"] == "all"  # a name with pattern characters is never a pattern
    scripted = [t for t in dc_play["tasks"] if "ansible.windows.win_powershell" in t]
    assert scripted and all(t["delegate_to"] == "{{ checker_ad_management_host }}"
                            for t in scripted)
    assert json.dumps(plays).count("ldap") == 0


# Characters that act on a terminal or reorder a line as it is shown (Trojan Source).
HIDDEN = "\x1b]0;PWNED\x07\x1b[2J\x1b[31m\u202egnp.exe\u2066\u200b\x9b1m\x00"


def test_hidden_characters_are_spelled_out_in_every_file(tmp_path: Path) -> None:
    """A value's escape sequences and bidirectional overrides stayed raw inside the .ps1's and
    the playbook's literals: `cat` of the script retitled and cleared the reviewer's terminal,
    and the override showed the line in another order. Each is [char]N (the same value to
    PowerShell), U+FFFD where only text is shown."""
    prepared, report = build(tmp_path, payload(tmp_path / "PWNED") + HIDDEN, SECRET, DC, AADC)
    out = tmp_path / "out"
    write_remediation(report, out, prepared.redactor, {DC: "ldap", AADC: "psrp"})
    texts = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.ps1")}
    texts["plan.md"] = (out / "plan.md").read_text(encoding="utf-8")
    texts["playbook.yml (loaded)"] = json.dumps(load_playbook(
        (out / "playbook.yml").read_text(encoding="utf-8")), ensure_ascii=False)
    for name, text in texts.items():
        shown = [c for c in set(HIDDEN) if not c.isprintable() and c in text]
        assert not shown, f"{name} holds {shown!r}"
    assert "[char]8238" in texts["playbook.yml (loaded)"]

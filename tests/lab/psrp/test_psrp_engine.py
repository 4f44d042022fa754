"""The lab engine runs what it is sent: every script the checker can send parses cleanly with
tree-sitter-powershell, and the interpreter evaluates (or loudly rejects) the syntax itself."""

from __future__ import annotations

from typing import Any

import pytest
import tree_sitter

from checker.collectors.base import collectors, load_all
from checker.requests import PsSnippet
from checker.transports.ps_batch import build_script

from .engine import Engine
from .syntax import LANGUAGE
from .values import PSError, PSObj

pytestmark = pytest.mark.lab


class Writer:
    def __init__(self) -> None:
        self.errors: list[PSError] = []

    def error(self, err: PSError) -> None:
        self.errors.append(err)

    def sleep(self, seconds: float) -> None:
        pass


def run(script: str, engine: Engine | None = None) -> tuple[list[Any], Writer]:
    writer = Writer()
    return (engine or Engine()).run(script, [], writer), writer


def all_snippets() -> list[PsSnippet]:
    load_all()
    return [collectors.get(n)().request({}) for n in collectors.names()
            if collectors.get(n).request_type is PsSnippet]


def bad_nodes(node: tree_sitter.Node) -> list[str]:
    here = [f"{node.type}@{node.start_point}"] if node.is_error or node.is_missing else []
    return here + [b for c in node.children for b in bad_nodes(c)]


def test_every_script_the_checker_sends_parses() -> None:
    snippets = all_snippets()
    assert len(snippets) >= 5
    for script in [build_script(snippets)] + [build_script([s]) for s in snippets]:
        tree = tree_sitter.Parser(LANGUAGE).parse(script.encode())
        assert not tree.root_node.has_error, bad_nodes(tree.root_node)


def test_parse_error_fails_the_whole_script() -> None:
    with pytest.raises(PSError) as info:
        run("Get-Thing | Select-Object A,B")  # the known grammar gap: bareword lists
    assert info.value.terminating and info.value.error_id == "ParseException"


@pytest.mark.parametrize("script", [
    "[datetime]::UtcNow", "$env:COMPUTERNAME", "Get-Thing > out.txt", "'{0}' -f 1",
    "& { param($x) $x }", "[System.IO.File]'x'",
])
def test_unsupported_syntax_is_rejected_loudly(script: str) -> None:
    with pytest.raises(PSError) as info:
        run(script)
    assert info.value.terminating


def test_pipeline_semantics() -> None:
    engine = Engine()

    @engine.cmdlet("Get-Thing")
    def things(inv: Any) -> list[Any]:
        return [PSObj(["T"], {"Name": n, "N": i, "Tags": ["a", n]}) for i, n in
                enumerate(["x", "y", "z"])]

    out, _ = run("""
    $t = @(Get-Thing | Where-Object { $_.N -ge 1 -and -not ($_.Name -eq 'z') })
    $h = @{ 'count' = $t.Count; 'names' = @(Get-Thing | ForEach-Object { $_.Name }) }
    $h['first'] = (Get-Thing | Select-Object -Property 'Name', @{n='Twice'; e='N'} -First 1)
    $h['sorted'] = @(Get-Thing | Sort-Object -Property 'N' -Descending | % { $_.N })
    $h['tags'] = (Get-Thing).Tags -contains 'z'
    if ($h.count -eq 1) { $h['branch'] = "one: $($t[0].Name)" } else { $h['branch'] = 'other' }
    foreach ($i in @(1, 2, 3)) { $h['sum'] += $i }
    ConvertTo-Json -InputObject $h -Compress -Depth 3
    """, engine)
    import json

    doc = json.loads(out[0])
    assert doc == {"count": 1, "names": ["x", "y", "z"], "first": {"Name": "x", "Twice": 0},
                   "sorted": [2, 1, 0], "tags": True, "branch": "one: y", "sum": 6}


def test_errors_try_catch_and_error_action() -> None:
    out, writer = run("""
    $ErrorActionPreference = 'Continue'
    Get-Nothing
    try { Import-Module Nope -ErrorAction Stop; 'not here' } catch { [string]$_.Exception.Message }
    Import-Module Nope2 -ErrorAction SilentlyContinue
    $Error.Count
    """)
    assert "Nope" in out[0] and out[1] == 3
    assert [e.error_id for e in writer.errors] == ["CommandNotFoundException"]


@pytest.mark.parametrize("value", ["it's", "$(Remove-Item C:\\) `n \"x\"", "\u2019a\u2018",
                                   "a\r\nb\rc\nd\u2028e\x85", "\n", "\x1b]0;t\x07\u202eb\u200b\x00",
                                   42, True, None, ["a", "b'c"]])
def test_quoted_values_read_back_unchanged(value: Any) -> None:
    from checker.wire.ps_quote import assignment

    out, writer = run(assignment("v", value) + "\n,$v" if isinstance(value, list)
                      else assignment("v", value) + "\n$v")
    assert not writer.errors
    assert (out[0] if out else None) == value

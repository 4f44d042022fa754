"""One script for all of a host's snippets, one JSON document back.

Each snippet runs in its own script block (a child scope, so its variables don't leak) inside
its own try/catch, with `$ErrorActionPreference = 'Stop'` so that non-terminating errors
(a missing connector, a failed `Import-Module`) also land in that fact's catch. The document
is `{"f0": {"ok": true, "value": [...]}, "f1": {"ok": false, "error": "...", "error_id": ...}}`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from checker.errors import CollectError
from checker.requests import PsSnippet
from checker.wire import ps_json
from checker.wire.ps_quote import assignment, quote_string

JSON_DEPTH = 8
RESULT_VAR = "$checkerResult"


@dataclass(frozen=True)
class FactReply:
    value: Any = None
    error: str | None = None


def slot(index: int) -> str:
    return f"f{index}"


def _section(name: str, snippet: PsSnippet) -> str:
    params = "".join(assignment(k, v) + "\n" for k, v in (snippet.params or {}).items())
    key = quote_string(name)
    return (
        f"try {{\n{RESULT_VAR}[{key}] = @{{ 'ok' = $true; 'value' = @(& {{\n"
        f"{params}{snippet.script.rstrip()}\n}}) }}\n"
        f"}} catch {{\n{RESULT_VAR}[{key}] = @{{ 'ok' = $false; "
        "'error' = [string]$_.Exception.Message; "
        "'error_id' = [string]$_.FullyQualifiedErrorId }\n}\n"
    )


def build_script(snippets: Sequence[PsSnippet]) -> str:
    """The batch script: slot fN holds the output of snippets[N]."""
    body = "".join(_section(slot(i), s) for i, s in enumerate(snippets))
    return (
        "$ErrorActionPreference = 'Stop'\n"
        f"{RESULT_VAR} = @{{}}\n{body}"
        f"ConvertTo-Json -InputObject {RESULT_VAR} -Depth {JSON_DEPTH} -Compress\n"
    )


def parse_document(output: Sequence[Any], count: int) -> list[FactReply]:
    """The pipeline's output (one JSON string) -> one reply per slot."""
    texts = [o for o in output if o is not None]
    if len(texts) != 1 or not isinstance(texts[0], str):
        raise CollectError(f"expected one JSON document from the batch, got {len(texts)} objects")
    doc = ps_json.loads(texts[0])
    if not isinstance(doc, Mapping):
        raise CollectError("the batch's JSON document is not an object")
    return [_reply(doc.get(slot(i)), slot(i)) for i in range(count)]


def _reply(entry: Any, name: str) -> FactReply:
    if not isinstance(entry, Mapping) or "ok" not in entry:
        return FactReply(error=f"no result for {name} in the batch's JSON document")
    if entry["ok"] is True:
        return FactReply(value=ps_json.as_list(entry.get("value")))
    message = str(entry.get("error") or "unknown PowerShell error")
    error_id = entry.get("error_id")
    return FactReply(error=f"{message} ({error_id})" if error_id else message)

"""The facts file format (`checker-facts/1`): reading a recorded document and its host rows.

Pure file format, below collectors and transports: the snapshot transport replays rows from
it, and `checker.evidence` turns gathered facts into a document and back into typed facts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from checker.errors import InputError
from checker.yamlio import read_text

FORMAT = "checker-facts/1"
MAX_FACTS_BYTES = 2 * 1024 * 1024 * 1024  # a 100,000-user estate records a few hundred MiB


def read(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    try:
        doc = json.loads(read_text(p, MAX_FACTS_BYTES))
    except json.JSONDecodeError as e:
        raise InputError(f"invalid JSON: {e.msg}", str(p), e.lineno) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputError(f"not a checker facts file (expected format {FORMAT})", str(p), 1)
    return doc


def host_rows(doc: Mapping[str, Any], host: str) -> list[Mapping[str, Any]]:
    entry = doc.get("hosts", {}).get(host)
    return list(entry.get("facts", [])) if isinstance(entry, dict) else []

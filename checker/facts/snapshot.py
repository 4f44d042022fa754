"""The facts file format (`checker-facts/1`): reading a recorded document and its host rows.

Pure file format, below collectors and transports: the snapshot transport replays rows from
it, and `checker.evidence` turns gathered facts into a document and back into typed facts.
Either way a fact keeps the provenance it was recorded with, so a replay is judged as of its
recording, whatever day it is replayed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.errors import CollectError, InputError
from checker.facts.model import Provenance
from checker.facts.records import parse_datetime
from checker.yamlio import read_text

FORMAT = "checker-facts/1"
MAX_FACTS_BYTES = 2 * 1024 * 1024 * 1024  # a 100,000-user estate records a few hundred MiB


def read(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    try:
        doc = json.loads(read_text(p, MAX_FACTS_BYTES))
    except json.JSONDecodeError as e:
        raise InputError(f"invalid JSON: {e.msg}", str(p), e.lineno) from None
    except RecursionError:  # [[[[...: no facts file nests this deep
        raise InputError("invalid JSON: nested too deeply", str(p), 1) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputError(f"not a checker facts file (expected format {FORMAT})", str(p), 1)
    problem = _shape_problem(doc)
    if problem:
        raise InputError(f"not a checker facts file: {problem}", str(p))
    return doc


def _shape_problem(doc: Mapping[str, Any]) -> str | None:
    hosts = doc.get("hosts", {})
    if not isinstance(hosts, dict):
        return "`hosts` must be a mapping of host names"
    for name, entry in hosts.items():
        facts = entry.get("facts", []) if isinstance(entry, dict) else None
        if not isinstance(facts, list) or not all(isinstance(f, dict) for f in facts):
            return f"host {name}: `facts` must be a list of facts"
    return None


def host_rows(doc: Mapping[str, Any], host: str) -> list[Mapping[str, Any]]:
    entry = doc.get("hosts", {}).get(host)
    return list(entry.get("facts", [])) if isinstance(entry, dict) else []


@dataclass(frozen=True)
class Recorded:
    """One recorded fact as the snapshot transport replays it: the stored value (or the
    recorded failure) with the provenance it was recorded with."""

    value: Any
    provenance: Provenance
    error: CollectError | None = None


def recorded_at(doc: Mapping[str, Any]) -> dt.datetime | None:
    """When the document was written (`created_at`), if it says."""
    return _time(doc.get("created_at"))


def recorded_provenance(
    row: Mapping[str, Any], host: str, default_time: dt.datetime | None
) -> Provenance:
    """The provenance a row was recorded with. A row without a usable time takes the
    document's `created_at` (`default_time`); only a document with neither is timed now."""
    data = row.get("provenance")
    data = data if isinstance(data, Mapping) else {}
    started = _time(data.get("started_at")) or default_time or dt.datetime.now(dt.timezone.utc)
    try:
        duration = float(data.get("duration_s") or 0.0)
    except (TypeError, ValueError):
        duration = 0.0
    return Provenance(
        host=str(data.get("host") or host),
        collector=str(data.get("collector") or row.get("collector", "")),
        transport=str(data.get("transport") or "snapshot"),
        request=str(data.get("request") or ""),
        started_at=started,
        duration_s=duration,
        error=data.get("error"),
    )


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None

"""Evidence bundles: save gathered facts (secrets redacted) as a facts file, and load a file
back as typed facts for replay (`--from-facts`). Above collectors: each fact's collector
dumps and rebuilds its typed record.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from checker import __version__
from checker.collectors.base import load_all
from checker.errors import InputError, OutputError
from checker.facts.model import Fact, FactKey, FactStatus, FactStore
from checker.facts.records import to_json
from checker.facts.snapshot import FORMAT, host_rows, read, recorded_at, recorded_provenance
from checker.redact import Redactor


def dump(store: Mapping[str, Mapping[FactKey, Fact]], redactor: Redactor) -> dict[str, Any]:
    registry = load_all()
    hosts: dict[str, Any] = {}
    for host, facts in store.items():
        rows = []
        for key, fact in sorted(facts.items()):
            value = registry.get(key.collector)().dump(fact.value) if fact.ok else None
            rows.append(
                {
                    "collector": key.collector,
                    "params": to_json(key.param_dict),
                    "status": fact.status.value,
                    "value": value,
                    "provenance": to_json(fact.provenance) if fact.provenance else None,
                }
            )
        hosts[host] = {"facts": rows}
    doc = {
        "format": FORMAT,
        "checker_version": __version__,
        "created_at": to_json(dt.datetime.now(dt.timezone.utc)),
        "hosts": hosts,
    }
    return redactor.scrub(doc)


def save(store: Mapping[str, Mapping[FactKey, Fact]], path: str | Path, redactor: Redactor) -> None:
    text = json.dumps(dump(store, redactor), indent=1, sort_keys=False)
    try:
        Path(path).write_text(text + "\n", encoding="utf-8")
    except OSError as e:
        raise OutputError(f"cannot write the facts to {path}: {e.strerror or e}") from e


def fact_from_row(row: Mapping[str, Any], host: str, created: dt.datetime | None = None) -> Fact:
    """Rebuild one stored fact (typed value, recorded provenance)."""
    try:
        key = FactKey.of(row["collector"], row.get("params") or {})
        status = FactStatus(row.get("status", "ok"))
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(f"a stored fact for {host} is malformed: {e}") from None
    prov = recorded_provenance(row, host, created)
    if status is not FactStatus.OK:
        return Fact(key, status, None, prov)
    try:
        value = load_all().get(key.collector)().load(row.get("value"))
    except (LookupError, TypeError, ValueError, AttributeError) as e:
        raise InputError(f"stored fact {key} for {host} cannot be read: {e}") from None
    return Fact(key, FactStatus.OK, value, prov)


def load_store(path: str | Path, hosts: Iterable[str]) -> FactStore:
    doc = read(path)
    created = recorded_at(doc)
    store: FactStore = {}
    for host in hosts:
        facts = {}
        for row in host_rows(doc, host):
            try:
                fact = fact_from_row(row, host, created)
            except InputError as e:
                raise InputError(e.message, str(path)) from None
            facts[fact.key] = fact
        store[host] = facts
    return store

"""Replay recorded facts: `ansible_connection: snapshot` with `checker_facts_file: F.json`.

An inventory can point at a facts file recorded by `checker gather`, so rules run against
recorded estates (the demo, evidence bundles, golden tests). The recorded host name can be
mapped with `checker_snapshot_host`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from checker.errors import CheckerError, CollectError, FactUnavailable, TransportError
from checker.facts import snapshot
from checker.facts.model import FactKey, FactStatus, Provenance
from checker.transports.base import Transport, transports


@transports.register("snapshot")
class SnapshotTransport(Transport):
    replays = True

    @classmethod
    def check_vars(cls, hostvars: Mapping[str, Any]) -> Sequence[str]:
        if not hostvars.get("checker_facts_file"):
            return ["checker_facts_file is required with ansible_connection: snapshot"]
        path = cls._path(hostvars)
        return [] if path.is_file() else [f"checker_facts_file {path} does not exist"]

    @staticmethod
    def _path(hostvars: Mapping[str, Any]) -> Path:
        path = Path(str(hostvars["checker_facts_file"]))
        if not path.is_absolute():
            path = Path(str(hostvars.get("inventory_dir", "."))) / path
        return path

    def target(self) -> str:
        return str(self._path(self.vars))

    def open(self) -> None:
        try:
            self.doc = snapshot.read(self._path(self.vars))
        except CheckerError as e:  # the file went missing or bad since validation
            raise TransportError(str(e)) from None

    def collect(self, requests: Mapping[FactKey, Any]) -> Iterator[tuple[FactKey, Any]]:
        """Each requested fact as `snapshot.Recorded`: its value or recorded failure, with
        the provenance (and so the time) it was recorded with."""
        recorded = str(self.vars.get("checker_snapshot_host", self.host))
        created = snapshot.recorded_at(self.doc)
        rows = {
            FactKey.of(r["collector"], r.get("params") or {}): r
            for r in snapshot.host_rows(self.doc, recorded)
            if isinstance(r, Mapping) and isinstance(r.get("collector"), str)
        }
        for key in requests:
            row = rows.get(key)
            if row is None:
                yield key, CollectError(f"not in the recorded facts for {recorded}")
                continue
            prov = snapshot.recorded_provenance(row, self.host, created)
            yield key, snapshot.Recorded(row.get("value"), prov, _failure(row, prov))


def _failure(row: Mapping[str, Any], prov: Provenance) -> CollectError | None:
    try:
        status = FactStatus(row.get("status", "ok"))
    except ValueError:
        return CollectError(f"recorded with an unknown status {row.get('status')!r}")
    error = prov.error or "recorded as failed"
    if status is FactStatus.ERROR:
        return CollectError(f"recorded error: {error}")
    if status is FactStatus.UNAVAILABLE:
        return FactUnavailable(f"recorded as unavailable: {error}")
    return None

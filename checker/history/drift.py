"""Classify what changed for each (rule, host, object) between two stored runs."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from checker.errors import InputError
from checker.history.model import Change, DriftItem, DriftReport
from checker.history.store import StoredRow, run_hosts, run_ids, run_info, run_rows

Key = tuple[str, str, str]
DECIDED = ("pass", "fail", "waived", "skipped", "blocked")


def classify(before: str | None, after: str | None, host_is_new: bool) -> Change | None:
    """The change for one key, or None when nothing worth reporting changed."""
    if after is None:
        return Change.GONE if before is not None else None
    if before is None:
        if host_is_new:
            return Change.NEW_HOST
        return Change.NEW_FAIL if after == "fail" else None
    if after == "error":
        return Change.BECAME_UNREACHABLE if before in DECIDED else None
    if after == "fail":
        return {
            "pass": Change.REGRESSED,
            "fail": Change.STILL_FAILING,
            "waived": Change.WAIVER_EXPIRED,
        }.get(before, Change.NEW_FAIL)
    if after == "pass" and before in ("fail", "error"):
        return Change.FIXED
    return None


def drift(conn: sqlite3.Connection, since: int | None = None, until: int | None = None
          ) -> DriftReport:
    ids = run_ids(conn)
    if not ids:
        raise InputError("the history holds no runs yet")
    after_id = until if until is not None else ids[-1]
    earlier = [i for i in ids if i < after_id]
    before_id = since if since is not None else (earlier[-1] if earlier else None)
    after = run_info(conn, after_id)
    if before_id is None:
        return DriftReport(None, after, ())
    before = run_info(conn, before_id)
    old = _by_key(run_rows(conn, before_id))
    new = _by_key(run_rows(conn, after_id))
    old_hosts = set(run_hosts(conn, before_id))
    items = []
    for key in [*new, *(k for k in old if k not in new)]:
        rule, host, obj = key
        was, now = old.get(key), new.get(key)
        if obj and now is None and (rule, host, "") in new:
            change: Change | None = Change.FIXED  # the object left the failing list
        else:
            change = classify(was.status if was else None, now.status if now else None,
                              host not in old_hosts)
        if change is None:
            continue
        ref = now or was
        assert ref is not None
        items.append(DriftItem(change, rule, host, obj or None, ref.severity,
                               was.status if was else None, now.status if now else None,
                               ref.message))
    return DriftReport(before, after, tuple(items))


def _by_key(rows: list[StoredRow]) -> Mapping[Key, StoredRow]:
    return {(r.rule_id, r.host, r.object): r for r in rows}

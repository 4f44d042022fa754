"""Classify what changed for each (rule, host, object) between two stored runs.

Pure: it takes runs as the store returns them and never touches a database. `pick` chooses
the two runs to compare from the run list, only ever within one estate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from checker.errors import InputError
from checker.history.model import (
    Change,
    DriftItem,
    DriftReport,
    RunInfo,
    StoredRow,
    StoredRun,
    gc_paused,
)

Key = tuple[str, str, str]
DECIDED = ("pass", "fail", "waived", "skipped", "blocked")
FAILING_AFTER = {"pass": Change.REGRESSED, "fail": Change.STILL_FAILING,
                 "waived": Change.WAIVER_EXPIRED}


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
        return FAILING_AFTER.get(before, Change.NEW_FAIL)
    if after == "pass" and before in ("fail", "error"):
        return Change.FIXED
    return None


def pick(runs: Sequence[RunInfo], since: int | None = None, until: int | None = None,
         estate: str | None = None) -> tuple[RunInfo | None, RunInfo]:
    """(earlier, later): `until` or the latest run (of `estate`), and `since` or the run of
    the same estate before it. Runs of different estates are never compared."""
    mine = [r for r in runs if estate is None or r.estate == estate]
    if not mine:
        raise InputError(f"the history holds no runs of estate {estate!r}" if estate
                         else "the history holds no runs yet")
    after = _by_id(runs, until) if until is not None else mine[-1]
    if estate is not None and after.estate != estate:
        raise InputError(f"run {after.id} is of estate {after.estate!r}, not {estate!r}")
    if since is None:
        earlier = [r for r in runs if r.estate == after.estate and r.id < after.id]
        return (earlier[-1] if earlier else None), after
    before = _by_id(runs, since)
    if before.estate != after.estate:
        raise InputError(f"run {before.id} is of estate {before.estate!r} and run {after.id} of "
                         f"{after.estate!r}: drift compares runs of one estate only")
    return before, after


def _by_id(runs: Sequence[RunInfo], run_id: int) -> RunInfo:
    for r in runs:
        if r.id == run_id:
            return r
    raise InputError(f"no run {run_id} in the history")


def drift(before: StoredRun | None, after: StoredRun) -> DriftReport:
    """Every (rule, host, object) whose status changed, or that still fails."""
    if before is None:
        return DriftReport(None, after.info, ())
    with gc_paused():
        return _drift(before, after)


def _drift(before: StoredRun, after: StoredRun) -> DriftReport:
    old, new = _by_key(before.rows), _by_key(after.rows)
    items = []
    for key, now in new.items():
        was = old.get(key)
        if was is not None and was.status == "fail" == now.status:  # the common case, fast
            items.append(DriftItem(Change.STILL_FAILING, now.rule_id, now.host,
                                   now.object or None, now.severity, "fail", "fail", now.message))
            continue
        item = _item(key, was, now, new, key[1] not in before.hosts)
        if item is not None:
            items.append(item)
    for key, was in old.items():
        if key not in new:
            item = _item(key, was, None, new, False)
            if item is not None:
                items.append(item)
    return DriftReport(before.info, after.info, tuple(items))


def _item(key: Key, was: StoredRow | None, now: StoredRow | None,
          new: Mapping[Key, StoredRow], host_is_new: bool) -> DriftItem | None:
    rule, host, obj = key
    if obj and now is None and (rule, host, "") in new:
        change: Change | None = Change.FIXED  # the object left the failing list
    else:
        change = classify(was.status if was else None, now.status if now else None, host_is_new)
    ref = now or was
    if change is None or ref is None:
        return None
    return DriftItem(change, rule, host, obj or None, ref.severity,
                     was.status if was else None, now.status if now else None, ref.message)


def _by_key(rows: Sequence[StoredRow]) -> Mapping[Key, StoredRow]:
    return {r[:3]: r for r in rows}  # (rule_id, host, object)

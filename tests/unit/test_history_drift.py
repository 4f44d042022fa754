"""Drift is pure: every transition, run picking within one estate, and the store's pure parts
(URL and password rules, schema detection, --keep). Stored runs: tests/history/."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from checker.errors import InputError
from checker.history.drift import classify, drift, pick
from checker.history.model import Change, RunInfo, StoredRow, StoredRun
from checker.history.postgres import connection_args
from checker.history.schema import V1_RUN_COLUMNS, found_version
from checker.history.store import check_estate, parse_keep, safe_target

T0 = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(("before", "after", "new_host", "change"), [
    (None, "fail", False, Change.NEW_FAIL),
    ("error", "fail", False, Change.NEW_FAIL),
    ("fail", "pass", False, Change.FIXED),
    ("error", "pass", False, Change.FIXED),
    ("pass", "fail", False, Change.REGRESSED),
    ("fail", "fail", False, Change.STILL_FAILING),
    ("waived", "fail", False, Change.WAIVER_EXPIRED),
    ("pass", "error", False, Change.BECAME_UNREACHABLE),
    ("fail", "error", False, Change.BECAME_UNREACHABLE),
    (None, "pass", True, Change.NEW_HOST),
    ("pass", None, False, Change.GONE),
    ("pass", "pass", False, None),
    ("error", "error", False, None),
])
def test_every_transition(before: str | None, after: str | None, new_host: bool,
                          change: Change | None) -> None:
    assert classify(before, after, new_host) is change


def run(run_id: int, hosts: tuple[str, ...], *rows: tuple[str, str, str, str],
        estate: str = "lab") -> StoredRun:
    info = RunInfo(run_id, T0 + dt.timedelta(days=run_id), "inv.yml", 0, {}, estate)
    return StoredRun(info, frozenset(hosts),
                     [StoredRow(r, h, o, s, "high", f"{r} {s}") for r, h, o, s in rows])


def test_drift_over_stored_rows() -> None:
    before = run(1, ("a",), ("R-REG", "a", "", "pass"), ("R-OBJ", "a", "", "fail"),
                 ("R-OBJ", "a", "u1", "fail"), ("R-OBJ", "a", "u2", "fail"),
                 ("R-GONE", "a", "", "pass"))
    after = run(2, ("a", "b"), ("R-REG", "a", "", "fail"), ("R-OBJ", "a", "", "fail"),
                ("R-OBJ", "a", "u2", "fail"), ("R-NEW", "b", "", "pass"))
    d = drift(before, after)
    assert [(i.rule_id, i.host, i.object, i.change) for i in d.items] == [
        ("R-REG", "a", None, Change.REGRESSED),
        ("R-OBJ", "a", None, Change.STILL_FAILING),
        ("R-OBJ", "a", "u2", Change.STILL_FAILING),
        ("R-NEW", "b", None, Change.NEW_HOST),
        ("R-OBJ", "a", "u1", Change.FIXED),  # the object left the failing list
        ("R-GONE", "a", None, Change.GONE),
    ]
    assert d.exit_code == 1 and d.before is before.info
    first = drift(None, before)
    assert first.items == () and first.exit_code == 0


RUNS = [RunInfo(i, T0, "inv.yml", 0, {}, e) for i, e in
        [(1, "a"), (2, "b"), (3, "a"), (4, "b"), (5, "c")]]


@pytest.mark.parametrize(("kw", "ids"), [
    ({}, (None, 5)),  # c has one run: nothing to compare with
    ({"estate": "a"}, (1, 3)),
    ({"until": 4}, (2, 4)),
    ({"since": 4, "until": 2}, (4, 2)),
    ({"estate": "b", "since": 2}, (2, 4)),
])
def test_pick_stays_within_one_estate(kw: dict[str, int | str],
                                      ids: tuple[int | None, int]) -> None:
    before, after = pick(RUNS, **kw)  # type: ignore[arg-type]
    assert (before.id if before else None, after.id) == ids


@pytest.mark.parametrize(("kw", "message"), [
    ({"since": 1, "until": 2}, "run 1 is of estate 'a' and run 2 of 'b': drift compares"),
    ({"estate": "a", "until": 2}, "run 2 is of estate 'b', not 'a'"),
    ({"estate": "z"}, "no runs of estate 'z'"),
    ({"until": 9}, "no run 9 in the history"),
])
def test_pick_refuses(kw: dict[str, int | str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        pick(RUNS, **kw)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="holds no runs yet"):
        pick([])


def test_a_password_never_rides_in_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    for url in ("postgresql://u:hunter22@db/h", "postgresql://u@db/h?password=hunter22"):
        with pytest.raises(InputError, match="a password in the URL") as e:
            connection_args(url)
        assert "hunter22" not in str(e.value)
    assert safe_target("postgresql://u:hunter22@db/h") == "postgresql://u:********@db/h"
    monkeypatch.setenv("DBPW", "from-env")
    url, extra = connection_args("postgresql://u@db:5433/h?sslmode=require&password_env=DBPW")
    assert url == ("postgresql://u@db:5433/h?sslmode=require&connect_timeout=10"
                   "&application_name=checker")
    assert extra == {"password": "from-env"}
    with pytest.raises(InputError, match="password_env names 'NOPE', which is not set"):
        connection_args("postgresql://u@db/h?password_env=NOPE")


@pytest.mark.parametrize(("url", "shown", "refused"), [
    # libpq percent-decodes the key: this is a password, and it was shown in the refusal
    ("postgresql://u@db/h?pass%77ord=hunter22", "?pass%77ord=********", "a password in the URL"),
    # libpq refuses the key (exit 3); it was stored, unmasked, in the history error row
    ("postgresql://u@db/h?PASSWORD=hunter22&x=1", "?PASSWORD=********&x=1",
     'invalid URI query parameter: "PASSWORD"'),
    ("postgresql://u@[db/h?password=hunter22", "(an unreadable URL)", "not a valid URL"),
])
def test_every_spelling_of_a_url_password_is_masked_and_refused(url: str, shown: str,
                                                                refused: str) -> None:
    assert "hunter22" not in safe_target(url) and shown in safe_target(url)
    with pytest.raises(InputError, match=re.escape(refused)) as e:
        connection_args(url)  # offline: before any host or server is contacted
    assert "hunter22" not in str(e.value)
    assert safe_target("postgresql://u@db/h?password_env=PW") == \
        "postgresql://u@db/h?password_env=PW"  # a variable's name, not a secret


@pytest.mark.parametrize(("tables", "columns", "recorded", "exclusive", "found"), [
    (set(), set(), None, True, 0),
    ({"runs", "results", "sqlite_sequence"}, V1_RUN_COLUMNS, None, True, 1),
    ({"runs", "results", "checker_schema"}, set(), 2, True, 2),
    ({"runs", "results", "checker_schema", "other_app"}, set(), 2, False, 2),
    ({"other_app"}, set(), None, False, 0),  # a shared PostgreSQL database
    ({"other_app"}, set(), None, True, "not a checker history"),
    ({"runs"}, {"id", "x"}, None, False, "foreign schema"),
    ({"runs", "results"}, {"id"}, None, True, "foreign schema"),
    ({"checker_schema"}, set(), 3, False, "newer than this checker"),
])
def test_schema_detection(tables: set[str], columns: set[str], recorded: int | None,
                          exclusive: bool, found: int | str) -> None:
    if isinstance(found, int):
        assert found_version(tables, columns, recorded, "h.db", exclusive) == found
    else:
        with pytest.raises(InputError, match=found):
            found_version(tables, columns, recorded, "h.db", exclusive)


def test_keep_and_estate_names() -> None:
    assert parse_keep("90d") == dt.timedelta(days=90)
    assert parse_keep("12w") == dt.timedelta(weeks=12)
    assert parse_keep("36h") == dt.timedelta(hours=36)
    for bad in ("90", "0d", "d", "-1d", "90y", "99999999999d", "1000000000h"):  # no overflow
        with pytest.raises(InputError, match="--keep"):
            parse_keep(bad)
    assert check_estate("site-a nightly") == "site-a nightly"
    for bad in ("", "  ", "a\nb", "x" * 201):
        with pytest.raises(InputError, match="--estate"):
            check_estate(bad)


def test_query_values_reach_libpq_as_written() -> None:
    """libpq decodes %XX only: re-encoding the query form-style turned a space into `+`
    (`options=-c lock_timeout=30s` became `-c+lock_timeout=30s`, refused by the server)."""
    from psycopg.conninfo import conninfo_to_dict

    url, _ = connection_args("postgresql://u@db/h?options=-c%20lock_timeout%3D30s"
                             "&sslrootcert=/etc/a+b/ca.pem&application_name=nightly%20gate")
    params = conninfo_to_dict(url)
    assert params["options"] == "-c lock_timeout=30s"
    assert params["sslrootcert"] == "/etc/a+b/ca.pem"
    assert params["application_name"] == "nightly gate" and params["connect_timeout"] == "10"

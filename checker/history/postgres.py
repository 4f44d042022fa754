"""A history in PostgreSQL (psycopg 3), shared by every node that runs checker.

`--history postgresql://checker@db.example.com/checker`. The password never rides in the URL:
libpq reads `PGPASSWORD` or `~/.pgpass` itself, and `?password_env=NAME` names another
environment variable. Runs are written with COPY in one transaction each, so concurrent
writers never see or lose each other's half-written runs; schema migrations take an advisory
lock so two nodes upgrading at once do not collide.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from checker.errors import InputError
from checker.facts.records import as_utc
from checker.history import schema
from checker.history.sql import SqlStore
from checker.history.store import Row, safe_target

SCHEMA_LOCK = 0x636865636B6572  # "checker": one advisory lock id for migrations
# A table another session keeps locked (a stuck migration, VACUUM FULL, LOCK TABLE) would
# hold the run forever after its reports: past this wait it is a history error instead.
LOCK_TIMEOUT_S = 120.0
COPY_RESULTS = ("COPY results (run_id, pos, rule_id, host, object, status, original_status, "
                "severity, rule_version, message) FROM STDIN")
WHERE_PASSWORDS_GO = ("give it in PGPASSWORD, in ~/.pgpass, or in an environment variable "
                      "named by ?password_env=NAME")


def _driver() -> Any:
    try:
        import psycopg
    except ImportError:
        raise InputError("--history postgresql://...: needs psycopg 3 "
                         "(pip install 'checker[postgres]')") from None
    return psycopg


def connection_args(url: str) -> tuple[str, dict[str, str]]:
    """(URL for libpq, extra keyword arguments); refuses a URL that holds a password, or that
    libpq cannot parse (checked offline, before any host or server is contacted). The query
    reaches libpq as written: libpq decodes only %XX (a `+` stays a `+`, a space is %20)."""
    try:
        parts = urlsplit(url)
    except ValueError as e:
        raise InputError(f"--history {safe_target(url)!r}: not a valid URL ({e})") from None
    extra: dict[str, str] = {}
    kept: list[str] = []
    for piece in filter(None, parts.query.split("&")):
        key, _, value = piece.partition("=")
        if unquote(key) != "password_env":
            kept.append(piece)
        elif unquote(value) in os.environ:
            extra["password"] = os.environ[unquote(value)]
        else:
            raise InputError(f"--history: password_env names {unquote(value)!r}, which is not set")
    keys = {unquote(piece.partition("=")[0]) for piece in kept}
    kept += [f"{k}={v}" for k, v in (("connect_timeout", "10"), ("application_name", "checker"))
             if k not in keys]
    libpq_url = urlunsplit(parts._replace(query="&".join(kept)))
    if "password" in _parsed(libpq_url, url):
        raise InputError(f"--history {safe_target(url)!r}: a password in the URL would show "
                         f"in process lists and shell history; {WHERE_PASSWORDS_GO}")
    return libpq_url, extra


def _parsed(libpq_url: str, url: str) -> dict[str, Any]:
    """libpq's own reading of the URL (percent-decoded, as it will connect)."""
    psycopg = _driver()
    try:
        return dict(psycopg.conninfo.conninfo_to_dict(libpq_url))
    except psycopg.Error as e:
        raise InputError(f"--history {safe_target(url)!r}: {str(e).strip()}") from None


def _text(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL; data from a directory may."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) and "\x00" in value else value


class PostgresStore(SqlStore):
    migrations = schema.POSTGRES
    exclusive = False  # a shared database may hold other applications' tables
    row_order = "pos"
    placeholder = "%s"

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self._psycopg = _driver()
        self.driver_errors = (self._psycopg.Error,)
        self._url, self._extra = connection_args(target)
        # the URL's own ?options=-c lock_timeout=... wins over ours
        self._lock_timeout = "lock_timeout" not in _parsed(self._url, target).get("options", "")

    def _connect(self) -> Any:
        conn = self._psycopg.connect(self._url, autocommit=True, **self._extra)
        if self._lock_timeout:
            conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_S:g}s'")
        return conn

    @contextmanager
    def _transaction(self, migrating: bool) -> Iterator[None]:
        with self.conn.transaction():
            if migrating:
                self._execute("SELECT pg_advisory_xact_lock(?)", (SCHEMA_LOCK,))
            yield

    def _tables(self) -> tuple[set[str], set[str]]:
        tables = {r[0] for r in self._execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema()")}
        columns = {r[0] for r in self._execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = 'runs'")}
        return tables, columns

    def _insert_rows(self, run_id: int, rows: Iterable[Row]) -> None:
        with self.conn.cursor() as cur, cur.copy(COPY_RESULTS) as copy:
            for pos, row in enumerate(rows):
                copy.write_row((run_id, pos, *map(_text, row)))

    def _when(self, value: Any) -> dt.datetime:
        return as_utc(value)

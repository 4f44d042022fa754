"""What SQLite and PostgreSQL histories share: the queries, migrations and error mapping.

A backend gives its connection, its transaction, its table listing and its bulk insert; the
queries are written once with `?` placeholders.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import socket
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ClassVar, TypeVar

from checker import __version__
from checker.errors import InputError
from checker.history import schema
from checker.history.model import RunInfo, StoredRow, StoredRun, gc_paused
from checker.history.store import HistoryError, HistoryStore, Row, result_rows, safe_target
from checker.redact import Redactor
from checker.results import RunReport

T = TypeVar("T")
RUN_COLUMNS = "id, started_at, inventory, exit_code, summary, estate, node"
# schema 1 had no estate or node: a run's estate was its inventory (what migration 2 copies)
V1_RUN_COLUMNS = "id, started_at, inventory, exit_code, summary, inventory, ''"


def db_errors(method: Callable[..., T]) -> Callable[..., T]:
    """A driver error becomes a HistoryError that names the store and the cause."""

    @functools.wraps(method)
    def wrapped(self: SqlStore, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except self.driver_errors as e:
            raise HistoryError(f"history {safe_target(self.target)}: "
                               f"{type(e).__name__}: {e}".strip()) from e

    return wrapped


class SqlStore(HistoryStore):
    migrations: ClassVar[Mapping[int, Sequence[str]]]
    exclusive: ClassVar[bool]  # the store holds nothing but the history
    driver_errors: tuple[type[Exception], ...]
    row_order: ClassVar[str]
    placeholder: ClassVar[str] = "?"
    returning_id: ClassVar[str] = " RETURNING id"  # SQLite has RETURNING only from 3.35

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self._conn: Any = None
        self._current = False  # the schema was found (or made) current on this connection

    @property
    def conn(self) -> Any:
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    @abstractmethod
    def _connect(self) -> Any: ...

    @abstractmethod
    def _transaction(self, migrating: bool) -> AbstractContextManager[Any]:
        """A write transaction; `migrating` also takes the store-wide schema lock."""

    @abstractmethod
    def _tables(self) -> tuple[set[str], set[str]]:
        """(table names, column names of `runs`) as the store holds them now."""

    @abstractmethod
    def _insert_rows(self, run_id: int, rows: Iterable[Row]) -> None: ...

    def _stamp(self, value: dt.datetime) -> Any:
        return value

    def _when(self, value: Any) -> dt.datetime:
        return value

    def _q(self, sql: str) -> str:
        return sql.replace("?", self.placeholder)

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(self._q(sql), params)

    def _version(self) -> int:
        tables, columns = self._tables()
        recorded = None
        if "checker_schema" in tables:
            row = self._execute("SELECT MAX(version) FROM checker_schema").fetchone()
            try:
                recorded = int(row[0] or 0)
            except (TypeError, ValueError):
                raise InputError(f"{safe_target(self.target)}: checker_schema holds "
                                 f"{row[0]!r}, not a schema version: not a checker history, "
                                 "or a damaged one") from None
        return schema.found_version(tables, columns, recorded, safe_target(self.target),
                                    self.exclusive)

    @db_errors
    def check(self) -> None:
        self._version()

    def _ready(self) -> None:
        """Migrate to the current schema (under the schema lock) when the store is behind."""
        if self._current or self._version() == schema.CURRENT:
            self._current = True
            return
        with self._transaction(migrating=True):
            found = self._version()  # again: another node may have migrated meanwhile
            for version in range(found + 1, schema.CURRENT + 1):
                for statement in self.migrations[version]:
                    self._execute(statement)
            if found < schema.CURRENT:
                self._execute("DELETE FROM checker_schema")
                self._execute("INSERT INTO checker_schema (version) VALUES (?)",
                              (schema.CURRENT,))
        self._current = True

    def _readable(self) -> int:
        """The schema version to read, migrating nothing: `drift` and `history list|show` only
        read, so a node with a newer checker never upgrades a shared history under the older
        nodes that still write to it, and a read-only login can read."""
        if self._current:
            return schema.CURRENT
        version = self._version()
        self._current = version == schema.CURRENT
        return version

    @staticmethod
    def _run_columns(version: int) -> str:
        return RUN_COLUMNS if version >= 2 else V1_RUN_COLUMNS

    @db_errors
    def save(self, report: RunReport, estate: str, redactor: Redactor) -> int:
        self._ready()
        summary = {**report.counts(), "exit_code": report.exit_code}
        versions = {r.rule_id: r.rule_version for r in report.results}
        with self._transaction(migrating=False):
            cur = self._execute(
                "INSERT INTO runs (started_at, finished_at, inventory, checker_version, "
                "exit_code, fail_on, summary, rule_versions, hosts, estate, node) "
                f"VALUES (?,?,?,?,?,?,?,?,?,?,?){self.returning_id}",
                (self._stamp(report.started_at), self._stamp(report.finished_at),
                 redactor.text(report.inventory), __version__, report.exit_code,
                 report.fail_on.value, json.dumps(summary), json.dumps(versions),
                 json.dumps(redactor.scrub(list(report.hosts))),
                 estate, socket.gethostname()),
            )
            run_id = int(cur.fetchone()[0] if self.returning_id else cur.lastrowid)
            self._insert_rows(run_id, result_rows(report.results, redactor))
        return run_id

    @db_errors
    def runs(self, estate: str | None = None) -> list[RunInfo]:
        version = self._readable()
        if version == 0:  # nothing stored yet (an empty database): nothing is created
            return []
        column = "estate" if version >= 2 else "inventory"
        where, params = (f"WHERE {column} = ? ", (estate,)) if estate is not None else ("", ())
        cur = self._execute(f"SELECT {self._run_columns(version)} FROM runs {where}ORDER BY id",
                            params)
        return [self._info(row) for row in cur]

    def _info(self, row: Sequence[Any]) -> RunInfo:
        with self._damage(row[0]):
            return RunInfo(int(row[0]), self._when(row[1]), row[2], int(row[3]),
                           _json(row[4], dict), row[5], row[6])

    @contextmanager
    def _damage(self, run_id: Any) -> Iterator[None]:
        """A stored value that no longer decodes is a damaged history (exit 2 with the run it
        is in), not an internal error."""
        try:
            yield
        except (TypeError, ValueError) as e:
            raise HistoryError(f"history {safe_target(self.target)}: run {run_id} is damaged: "
                               f"{type(e).__name__}: {e}") from e

    @db_errors
    def load(self, run_id: int) -> StoredRun:
        version = self._readable()
        row = None if version == 0 else self._execute(
            f"SELECT {self._run_columns(version)}, hosts FROM runs WHERE id = ?",
            (run_id,)).fetchone()
        if row is None:
            raise InputError(f"no run {run_id} in the history")
        cur = self._execute("SELECT rule_id, host, object, status, severity, message FROM "
                            f"results WHERE run_id = ? ORDER BY {self.row_order}", (run_id,))
        with gc_paused():
            rows = list(map(StoredRow._make, cur.fetchall()))
        with self._damage(run_id):
            hosts = frozenset(_json(row[7], list))
        return StoredRun(self._info(row), hosts, rows)

    @db_errors
    def prune(self, before: dt.datetime, estate: str | None = None) -> int:
        self._ready()
        scope, params = ("AND estate = ? ", (estate,)) if estate is not None else ("", ())
        with self._transaction(migrating=False):
            cur = self._execute(
                f"DELETE FROM runs WHERE started_at < ? {scope}"
                "AND id NOT IN (SELECT MAX(id) FROM runs GROUP BY estate)",
                (self._stamp(before), *params))
            return int(cur.rowcount)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _json(text: Any, kind: type) -> Any:
    value = json.loads(text)
    if not isinstance(value, kind):
        raise ValueError(f"{kind.__name__} expected, found {type(value).__name__}")
    return value

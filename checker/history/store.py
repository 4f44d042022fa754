"""The run history behind one interface: a SQLite file (the embedded default) or a PostgreSQL
database shared by several nodes (`postgresql://user@host/db`).

A run is written whole or not at all, in one transaction. The password of a PostgreSQL history
never appears on the command line: it comes from `PGPASSWORD`, `~/.pgpass` (libpq's own
lookup) or the environment variable named by `?password_env=NAME` in the URL.
"""

from __future__ import annotations

import datetime as dt
import re
import socket
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote_plus, urlsplit

from checker.errors import CheckerError, InputError
from checker.history.model import RunInfo, StoredRun
from checker.redact import Redactor
from checker.results import Result, RunReport

URL_SCHEMES = ("postgresql://", "postgres://")

# (rule_id, host, object, status, original_status, severity, rule_version, message)
Row = tuple[str, str, str, str, "str | None", str, int, str]


class HistoryError(CheckerError):
    """The history could not be read or written (damaged file, server down, refused login).
    After a run this is an `error` row, never a lost verdict."""


class HistoryStore(ABC):
    """What the runner, `checker drift` and `checker history` need from a history."""

    def __init__(self, target: str) -> None:
        self.target = target

    @abstractmethod
    def check(self) -> None:
        """Read-only: raise InputError when the schema is foreign or newer than this checker
        knows; HistoryError when the store cannot be read at all. Creates nothing."""

    @abstractmethod
    def save(self, report: RunReport, estate: str, redactor: Redactor) -> int:
        """Store one run in one transaction (migrating the schema first); returns its id."""

    @abstractmethod
    def runs(self, estate: str | None = None) -> list[RunInfo]:
        """Every stored run (of one estate), oldest first, without its rows."""

    @abstractmethod
    def load(self, run_id: int) -> StoredRun:
        """One run with its hosts and every stored row."""

    @abstractmethod
    def prune(self, before: dt.datetime, estate: str | None = None) -> int:
        """Delete runs started before `before`, keeping each estate's latest; returns how many."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def open_store(target: str) -> HistoryStore:
    """The store for `--history TARGET`: a `postgresql://` URL or a SQLite file path."""
    if target.startswith(URL_SCHEMES):
        from checker.history.postgres import PostgresStore

        return PostgresStore(target)
    if "://" in target:
        raise InputError(f"--history: unsupported URL scheme in {safe_target(target)!r} "
                         "(a file path or postgresql://user@host/db)")
    if not Path(target).resolve().parent.is_dir():
        raise InputError("--history: the folder for the database does not exist", target)
    from checker.history.sqlite import SqliteStore

    return SqliteStore(target)


def preflight(target: str) -> None:
    """Before any host is contacted: bad targets and foreign or newer schemas are exit 3.
    A store that cannot be read now (server down, damaged file) does not stop the run: the
    verdict is still worth its reports, and storing it later fails as an `error` row."""
    try:
        with open_store(target) as store:
            store.check()
    except HistoryError:
        return


def safe_target(target: str) -> str:
    """The target as it may be shown: a password in a URL is masked, in the user info or in a
    query parameter however it is spelt or percent-encoded (`PASSWORD=`, `pass%77ord=`)."""
    try:
        password = urlsplit(target).password
    except ValueError:  # e.g. an unclosed [ in the host: nothing of it can be trusted to show
        return "(an unreadable URL)"
    if password is not None:
        target = target.replace(f":{password}@", ":********@", 1)
    return _QUERY_PAIR.sub(_mask_password, target)


_QUERY_PAIR = re.compile(r"([?&;])([^=&;#]*)=([^&;#]*)")


def _mask_password(pair: re.Match[str]) -> str:
    sep, key, _ = pair.groups()
    name = unquote_plus(key).strip().lower()
    if "password" in name and name != "password_env":
        return f"{sep}{key}=********"
    return pair.group(0)


def default_estate(inventory: str, limit: str | None) -> str:
    """The estate a run checks unless `--estate` names it: this node's inventory (and limit).
    Several nodes that check one estate give it one name with `--estate`."""
    name = f"{socket.gethostname()}:{Path(inventory).resolve()}"
    return f"{name} --limit {limit}" if limit else name


def check_estate(name: str) -> str:
    if not name.strip() or len(name) > 200 or not name.isprintable():
        raise InputError(f"--estate: a printable name of 1-200 characters, not {name!r}")
    return name


def parse_keep(text: str) -> dt.timedelta:
    """`90d`, `12w`, `36h` -> a duration (prune --keep)."""
    m = re.fullmatch(r"(\d+)([hdw])", text.strip())
    if not m or int(m.group(1)) == 0:
        raise InputError(f"--keep: a duration such as 90d, 12w or 36h, not {text!r}")
    unit = {"h": "hours", "d": "days", "w": "weeks"}[m.group(2)]
    try:
        keep = dt.timedelta(**{unit: int(m.group(1))})
        dt.datetime.now(dt.timezone.utc) - keep  # the cutoff must be a date
    except OverflowError:
        raise InputError(f"--keep: {text!r} reaches back before the year 1") from None
    return keep


def result_rows(results: Sequence[Result], redactor: Redactor) -> Iterator[Row]:
    """The stored rows of a run: one per (rule, host), one per failing or waived object.
    Host, object and message can carry directory data, and with it a secret: all masked."""
    mask = redactor.text
    for r in results:
        original = r.original_status.value if r.original_status else None
        sev, ver, host = r.severity.value, r.rule_version, mask(r.host)
        yield (r.rule_id, host, "", r.status.value, original, sev, ver, mask(r.message))
        why = {o.object: o.message for o in r.offenders}  # capped: the others keep no message
        for obj in r.failed_objects:  # per-object drift: every failing object, uncapped
            yield r.rule_id, host, mask(obj), "fail", None, sev, ver, mask(why.get(obj, ""))
        if r.waiver is not None:
            for obj in r.waiver.objects:
                yield r.rule_id, host, mask(obj), "waived", "fail", sev, ver, ""

"""One large subtree search split over several connections to the same DC.

`uSNChanged` is a counter local to each DC, so the split is only sound when every connection
reaches the DC whose `highestCommittedUSN` set the ranges. The transport resolved its name to
one address when it opened (`ldap_tls.pin`); each worker connects to that address and checks
the DC's `dsServiceName` before it searches.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from checker.errors import CollectError
from checker.requests import LdapSearch

if TYPE_CHECKING:
    from checker.transports.ldap import LdapTransport

Batch = list[dict[str, Any]]


def partitioned(t: LdapTransport, search: LdapSearch, base: str,
                gc: bool = False) -> Iterator[dict[str, Any]]:
    """One subtree search split into `parallel` disjoint uSNChanged ranges, each paged on its
    own connection in a thread; pages meet in a bounded queue, so memory stays flat.

    Every object has exactly one uSNChanged, so the ranges are disjoint and complete for a
    consistent read; an object changed during the scan may move range (a live directory
    gives no stronger guarantee to one paged search either)."""
    high = int((t.rootdse.get("highestcommittedusn") or ["0"])[0]) + 1
    n = t.settings.parallel
    bounds = [high * i // n for i in range(n + 1)]
    pages: queue.Queue[Batch | BaseException | None] = queue.Queue(maxsize=2 * n)
    stop = threading.Event()

    def work(low: int, up: int) -> None:
        conn = None
        try:
            conn = t.connect(gc=gc)
            t.same_dc(conn)
            rng = f"(uSNChanged>={low})" + (f"(uSNChanged<={up - 1})" if up < high else "")
            for page in t.page_lists(conn, search, base, extra_filter=rng):
                if not _offer(pages, page, stop):
                    return
            _offer(pages, None, stop)
        except CollectError as e:
            _offer(pages, e, stop)
        except Exception as e:  # never leave the reader waiting for a worker that died
            _offer(pages, CollectError(f"{t.settings.url}: a parallel search failed: "
                                       f"{t.describe(e)}"), stop)
        finally:
            if conn is not None:
                conn.unbind()

    threads = [threading.Thread(target=work, args=(bounds[i], bounds[i + 1]), daemon=True)
               for i in range(n)]
    for th in threads:
        th.start()
    try:
        yield from _drain(pages, n)
    finally:
        stop.set()


def _offer(box: queue.Queue[Batch | BaseException | None], item: Batch | BaseException | None,
           stop: threading.Event) -> bool:
    """Put `item` in the bounded `box` unless the reader has gone (`stop`): False then."""
    while not stop.is_set():
        try:
            box.put(item, timeout=0.2)
            return True
        except queue.Full:
            continue
    return False


def _drain(pages: queue.Queue[Batch | BaseException | None], n: int) -> Iterator[dict[str, Any]]:
    """Entries as they come; a search reference (the same in every partition) once."""
    done, refs = 0, set()
    while done < n:
        item = pages.get()
        if item is None:
            done += 1
        elif isinstance(item, BaseException):
            raise item
        else:
            for entry in item:
                if "ref" in entry:
                    if tuple(entry["ref"]) in refs:
                        continue
                    refs.add(tuple(entry["ref"]))
                yield entry


def prefetched(pages: Iterator[Batch]) -> Iterator[dict[str, Any]]:
    """Entries of `pages` (one list per page), the next page fetched and decoded in a thread
    while the caller works through the current one: the DC and the client no longer wait for
    each other between pages. The thread starts on the first entry asked for and is joined
    before this generator ends, so the connection is never used by two searches at once."""
    box: queue.Queue[Batch | BaseException | None] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def fetch() -> None:
        try:
            for page in pages:
                if not _offer(box, page, stop):
                    return
            _offer(box, None, stop)
        except BaseException as e:  # handed to the caller's thread, raised there
            _offer(box, e, stop)

    worker = threading.Thread(target=fetch, daemon=True)
    worker.start()
    try:
        yield from _drain(box, 1)
    finally:
        stop.set()
        while worker.is_alive():  # let a page in flight finish before the connection is reused
            with contextlib.suppress(queue.Empty):
                box.get(timeout=0.05)

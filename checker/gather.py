"""Gather facts: one transport connection per host, hosts concurrently (--forks).

Each host gets a wall-clock budget (--timeout). A failed host or fact becomes `error`
facts, never an exception that stops the run, and never a pass.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from checker.collectors.base import load_all
from checker.errors import CheckerError, CollectError, FactUnavailable
from checker.facts.model import Fact, FactKey, FactStatus, FactStore, Provenance
from checker.facts.snapshot import Recorded
from checker.plan import HostPlan, Plan
from checker.redact import Redactor
from checker.transports.base import Transport, get_transport

Progress = Callable[[str, str], None]  # (host, event)

GRACE_S = 5.0  # past the budget, a host's facts are declared timed out


def gather(
    plan: Plan,
    forks: int = 10,
    timeout: float = 60.0,
    redactor: Redactor | None = None,
    progress: Progress | None = None,
) -> FactStore:
    """Every host's facts. Facts that several hosts would give alike (a domain's objects,
    `Transport.share_key`) are read once: after a first pass over every host, the first host
    in inventory order that reached the domain (or forest) reads them in a second pass, and
    the others record where they were read."""
    redactor = redactor or Redactor()
    store, deferred = first_pass(plan, forks, timeout, redactor, progress)
    return read_shared(plan, store, deferred, forks, timeout, redactor, progress)


Deferred = dict[str, dict[FactKey, str]]  # host -> {fact it left to one host: share key}


def first_pass(plan: Plan, forks: int, timeout: float, redactor: Redactor,
               progress: Progress | None = None) -> tuple[FactStore, Deferred]:
    """Every host's own facts; the shared ones are left out, their share keys returned."""
    deferred: Deferred = {}
    store = _gather_all(
        [hp for hp in plan.hosts if hp.facts], forks, timeout, progress, redactor,
        lambda hp: gather_host(hp, timeout, redactor, deferred.setdefault(hp.host.name, {})))
    return store, deferred


def read_shared(plan: Plan, store: FactStore, deferred: Mapping[str, Mapping[FactKey, str]],
                forks: int, timeout: float, redactor: Redactor,
                progress: Progress | None = None) -> FactStore:
    """The second pass: each shared fact read by its owner (see `_owners`), an `unavailable`
    fact naming the owner on every other host that deferred it. `store` is updated. An
    engine that gathers each host on its own (checker.api) calls it with the share keys its
    hosts reported, so its results are those of `gather`."""
    owners = _owners(plan, store, deferred)
    second = _gather_all(
        [replace(hp, facts=keys) for hp, keys in owners.values()], forks, timeout, progress,
        redactor,
        lambda hp: gather_host(hp, timeout, redactor))
    for host, facts in second.items():
        store.setdefault(host, {}).update(facts)
    return store


Owned = dict[str, tuple[HostPlan, tuple[FactKey, ...]]]  # host -> (its plan, keys it reads)


def _owners(plan: Plan, store: FactStore,
            deferred: Mapping[str, Mapping[FactKey, str]]) -> Owned:
    """Which host reads each shared fact: the first in plan order that deferred it (reached
    its DC); every other host gets an `unavailable` fact naming that host."""
    first: dict[tuple[str, FactKey], str] = {}
    owned: Owned = {}
    for hp in plan.hosts:
        name = hp.host.name
        for key, share in deferred.get(name, {}).items():
            if key in store.get(name, {}):
                continue  # the host timed out or failed: its facts are already errors
            owner = first.setdefault((share, key), name)
            if owner == name:
                owned[name] = (hp, (*owned.get(name, (hp, ()))[1], key))
            else:
                store.setdefault(name, {})[key] = _elsewhere(hp, key, share, owner)
    return owned


def _elsewhere(hp: HostPlan, key: FactKey, share: str, owner: str) -> Fact:
    kind, _, name = share.partition(" ")
    reason = f"{owner} reads it for the {kind} {name} (once per {kind}, not once per DC)"
    prov = Provenance(host=hp.host.name, collector=key.collector, transport=hp.transport,
                      request="", started_at=dt.datetime.now(dt.timezone.utc), duration_s=0.0,
                      error=reason)
    return Fact(key, FactStatus.UNAVAILABLE, None, prov, {"read_by": owner})


def _gather_all(
    work: list[HostPlan], forks: int, timeout: float, progress: Progress | None,
    redactor: Redactor, one: Callable[[HostPlan], dict[FactKey, Fact]],
) -> FactStore:
    """`one(hp)` for every host, `forks` at a time, each within its budget. A host past
    `timeout + GRACE_S` is recorded as timed out and its fork slot handed to the next host:
    a transport that ignores its timeout (a hung TCP read, a library bug) is abandoned on
    its daemon thread and can hold up neither the hosts queued behind it nor the run."""
    store: FactStore = {}
    lock = threading.Lock()
    slots = threading.Semaphore(max(1, forks))
    changed = threading.Event()
    started: dict[str, float] = {}  # host -> when it got its slot
    ended: set[str] = set()  # hosts whose result is in (or declared timed out): slot freed

    def finish(hp: HostPlan, facts: dict[FactKey, Fact]) -> None:
        """The first of the host's own end and its timeout wins; the other is ignored."""
        with lock:
            if hp.host.name in ended:
                return
            ended.add(hp.host.name)
            store[hp.host.name] = facts
            slots.release()
        if progress:
            progress(hp.host.name, "done")
        changed.set()

    def run(hp: HostPlan) -> None:
        slots.acquire()
        with lock:
            started[hp.host.name] = time.monotonic()
        changed.set()
        if progress:
            progress(hp.host.name, "start")
        try:
            facts = one(hp)
        except Exception as e:  # a bug or an unexpected library error: still `error`
            facts = _all_failed(hp, redactor.text(_unexpected(e)), 0.0)
        finish(hp, facts)

    for hp in work:
        threading.Thread(target=run, args=(hp,), daemon=True, name=hp.host.name).start()
    pending = work
    while pending:
        changed.wait(0.2)
        changed.clear()
        now = time.monotonic()
        with lock:
            pending = [hp for hp in pending if hp.host.name not in ended]
            over = [hp for hp in pending if hp.host.name in started
                    and now - started[hp.host.name] > timeout + GRACE_S]
        for hp in over:  # still running past its budget
            finish(hp, _all_failed(hp, f"timed out after {timeout:g}s", timeout))
    return store


def _unexpected(error: BaseException) -> str:
    """The real cause of an exception no transport mapped, in one line."""
    where = ""
    tb = error.__traceback__
    while tb is not None:  # the innermost frame names the failing module and line
        where = f" (at {tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno})"
        tb = tb.tb_next
    return f"unexpected {type(error).__name__}: {error}{where}"


def gather_host(hp: HostPlan, timeout: float, redactor: Redactor,
                defer: dict[FactKey, str] | None = None) -> dict[FactKey, Fact]:
    """One host's facts over one connection. With `defer`, facts another host could give
    alike are not read: their share keys go into `defer` (see `gather`)."""
    registry = load_all()
    collectors = {k: registry.get(k.collector)() for k in hp.facts}
    cls = get_transport(hp.transport)
    transport: Transport = cls(hp.host.name, hp.host.vars, timeout)
    out: dict[FactKey, Fact] = {}
    begun = time.monotonic()
    started_at = dt.datetime.now(dt.timezone.utc)
    try:
        requests = {k: collectors[k].request(k.param_dict) for k in hp.facts}
    except CheckerError as e:
        return _all_failed(hp, str(e), 0.0)
    try:
        transport.open()
        if defer is not None:
            _defer(transport, requests, defer)
        t0 = time.monotonic()
        now = {k: r for k, r in requests.items() if k not in (defer or {})}
        for key, raw in transport.collect(now):
            if isinstance(raw, Recorded):  # a replay keeps the time it was recorded at
                fact = _interpret(cls, collectors[key], key, raw.error or raw.value, None)
                out[key] = _as_recorded(fact, raw.provenance, transport.target())
            else:
                # A streamed reply (LDAP pages) is read while it is interpreted: its time
                # runs until then. Replies of one batch (a PSRP pipeline) arrive together,
                # so the first carries the batch's wait.
                fact = _interpret(cls, collectors[key], key, raw, requests[key])
                t1 = time.monotonic()
                out[key] = _with_provenance(fact, hp, transport, requests[key], started_at,
                                            t1 - t0)
            t0 = time.monotonic()
    except Exception as e:  # CheckerError by contract; anything else is still this host's error
        reason = redactor.text(str(e) if isinstance(e, CheckerError) else _unexpected(e))
        for key in hp.facts:
            if key not in out:
                out[key] = _failed(hp, key, reason, time.monotonic() - begun, requests.get(key))
        return {k: _redact(f, redactor) for k, f in out.items()}
    finally:
        _close(transport)
    for key in hp.facts:
        if key not in out and key not in (defer or {}):
            out[key] = _failed(hp, key, "the transport returned no reply for this fact", 0.0)
    return {k: _redact(f, redactor) for k, f in out.items()}


def _defer(transport: Transport, requests: dict[FactKey, Any],
           defer: dict[FactKey, str]) -> None:
    for key, request in requests.items():
        share = transport.share_key(request)
        if share is not None:
            defer[key] = share


def _interpret(
    cls: type[Transport], collector: Any, key: FactKey, raw: Any, request: Any
) -> Fact:
    if isinstance(raw, FactUnavailable):
        return Fact(key, FactStatus.UNAVAILABLE, extra={"error": str(raw)})
    if isinstance(raw, BaseException):
        return Fact(key, FactStatus.ERROR, extra={"error": str(raw)})
    try:
        value = collector.load(raw) if cls.replays else collector.process(raw, key.param_dict)
    except FactUnavailable as e:
        return Fact(key, FactStatus.UNAVAILABLE, extra={"error": str(e)})
    except CollectError as e:
        return Fact(key, FactStatus.ERROR, extra={"error": str(e)})
    except (LookupError, TypeError, ValueError, AttributeError, ArithmeticError) as e:
        msg = f"malformed reply for {key.collector}: {type(e).__name__}: {e}"
        return Fact(key, FactStatus.ERROR, extra={"error": msg})
    return Fact(key, FactStatus.OK, value)


def _with_provenance(
    fact: Fact,
    hp: HostPlan,
    transport: Transport,
    request: Any,
    started_at: dt.datetime,
    duration: float,
) -> Fact:
    prov = Provenance(
        host=hp.host.name,
        collector=fact.key.collector,
        transport=f"{hp.transport} {transport.target()}",
        request=_describe(request),
        started_at=started_at,
        duration_s=round(duration, 6),
        error=fact.extra.get("error"),
    )
    return Fact(fact.key, fact.status, fact.value, prov)


def _as_recorded(fact: Fact, recorded: Provenance, source: str) -> Fact:
    """The recorded provenance (host, request, time), marked as replayed from `source`."""
    how = recorded.transport
    if "(replayed from " not in how:
        how = f"{how} (replayed from {source})"
    prov = replace(recorded, transport=how, error=fact.extra.get("error"))
    return Fact(fact.key, fact.status, fact.value, prov)


def _describe(request: Any) -> str:
    describe = getattr(request, "describe", None)
    return describe() if callable(describe) else str(request or "")


def _failed(
    hp: HostPlan, key: FactKey, reason: str, duration: float, request: Any = None
) -> Fact:
    prov = Provenance(
        host=hp.host.name,
        collector=key.collector,
        transport=hp.transport,
        request=_describe(request),
        started_at=dt.datetime.now(dt.timezone.utc),
        duration_s=round(duration, 6),
        error=reason,
    )
    return Fact(key, FactStatus.ERROR, None, prov)


def _all_failed(hp: HostPlan, reason: str, duration: float) -> dict[FactKey, Fact]:
    return {k: _failed(hp, k, reason, duration) for k in hp.facts}


def _redact(fact: Fact, redactor: Redactor) -> Fact:
    p = fact.provenance
    if p is None or not p.error:
        return fact
    clean = Provenance(
        p.host, p.collector, p.transport, p.request, p.started_at, p.duration_s,
        redactor.text(p.error),
    )
    return Fact(fact.key, fact.status, fact.value, clean, fact.extra)


def _close(transport: Transport) -> None:
    # Closing must never turn a gathered result into a crash.
    with contextlib.suppress(Exception):
        transport.close()


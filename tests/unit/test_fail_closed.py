"""A gate fails closed: a rule pack that cannot be read whole, a run that would evaluate
nothing or less than it was asked to, and a host whose transport raised something unexpected
never end in exit 0 (or in a "timed out" that hides the cause)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from checker.cli import main
from checker.ruleset.loader import load_rules
from checker.transports import base
from checker.transports.snapshot import SnapshotTransport

ROOT = Path(__file__).parent.parent.parent
DEMO = ROOT / "inventories" / "demo" / "inventory.yml"


def shipped_pack(tmp: Path) -> Path:
    pack = tmp / "rules"
    shutil.copytree(ROOT / "rules", pack)
    return pack


def test_an_unreadable_subfolder_is_an_error_not_a_smaller_pack(tmp_path, monkeypatch, capsys):
    """The hygiene folder (5 of the 24 shipped rules) cannot be listed: pathlib's rglob used
    to skip it without a word and the gate ran 19 rules. Root reads everything, so the
    denial is simulated where the walk lists a folder."""
    pack = shipped_pack(tmp_path)
    hidden = str(pack / "hygiene")
    real_scandir = os.scandir

    def scandir(path=".", *args, **kwargs):
        if os.fspath(path) == hidden:
            raise PermissionError(13, "Permission denied", hidden)
        return real_scandir(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    assert main(["apply", str(DEMO), "-r", str(pack)]) == 3
    err = capsys.readouterr().err
    assert f"{hidden}: cannot read this rules folder: Permission denied" in err


def test_symlinked_rule_folders_are_read_once_and_loops_end(tmp_path: Path) -> None:
    pack = shipped_pack(tmp_path)
    outside = tmp_path / "outside"
    (pack / "hygiene").rename(outside)
    (pack / "hygiene").symlink_to(outside, target_is_directory=True)
    (pack / "loop").symlink_to(pack, target_is_directory=True)
    ids = [r.id for r in load_rules([str(pack)]).rules]
    shipped = len(load_rules([str(ROOT / "rules")]).rules)  # every shipped rule, once
    assert len(ids) == shipped and len(set(ids)) == shipped


def test_a_rule_asked_for_by_id_must_apply_to_a_selected_host(capsys) -> None:
    code = main(["apply", str(DEMO), "--limit", "dc01.lab.example.com",
                 "--rule", "AD-FOREST-FUNCTIONAL-LEVEL", "--rule", "AADC-STAGING-MODE"])
    assert code == 3
    err = capsys.readouterr().err
    assert "rule AADC-STAGING-MODE applies to none of the selected hosts (its hosts: " \
           "aadconnect)" in err


class Exploding(SnapshotTransport):
    """A transport with a bug: collect raises something that is not a CheckerError."""

    def collect(self, requests):
        if self.host.startswith("aadc"):
            raise RuntimeError("a bug in the transport")
        yield from super().collect(requests)


def test_an_unexpected_transport_exception_is_an_error_with_its_cause(tmp_path, monkeypatch,
                                                                     capsys) -> None:
    monkeypatch.setitem(base.transports._items, "snapshot", Exploding)
    out = tmp_path / "r.json"
    started = time.monotonic()
    code = main(["apply", str(DEMO), "--timeout", "30", "--report", f"json:{out}"])
    assert time.monotonic() - started < 10  # not "timed out after 30s"
    err = capsys.readouterr().err
    assert "Traceback" not in err
    import json

    rows = json.loads(out.read_text())["results"]
    aadc = [r for r in rows if r["host"] == "aadc01.lab.example.com"]
    assert aadc and {r["status"] for r in aadc} <= {"error", "skipped", "blocked"}
    assert any("unexpected RuntimeError: a bug in the transport" in r["message"] for r in aadc)
    assert not any("timed out" in r["message"] for r in aadc)
    assert code == 2  # every aadc rule is `error`; the DC rules pass


@pytest.mark.parametrize("where", ["open", "init"])
def test_a_crash_anywhere_on_a_host_is_an_error_row(where, monkeypatch, capsys) -> None:
    class Broken(SnapshotTransport):
        def __init__(self, host, hostvars, timeout):
            if where == "init":
                raise KeyError("checker_facts_file")
            super().__init__(host, hostvars, timeout)

        def open(self):
            raise ZeroDivisionError("division by zero")

    monkeypatch.setitem(base.transports._items, "snapshot", Broken)
    assert main(["apply", str(DEMO), "--rule", "AADC-STAGING-MODE"]) == 2
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    cause = "ZeroDivisionError" if where == "open" else "KeyError"
    assert f"unexpected {cause}" in out.out


def _within(seconds: float, call):
    """`call()`'s result, or a failure when it blocks (the old reads of a FIFO never ended)."""
    import concurrent.futures

    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        return pool.submit(call).result(timeout=seconds)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


@pytest.mark.parametrize("where", ["rules", "group_vars", "inventory_dir"])
def test_a_fifo_is_refused_not_read_for_ever(tmp_path: Path, capsys, where: str) -> None:
    """A FIFO named like a rule, vars or inventory file (left by a script, or planted) used
    to block the run for ever on its read: it is refused with its path, exit 3."""
    pack = shipped_pack(tmp_path)
    inv = tmp_path / "inv"
    inv.mkdir()
    for name in ("inventory.yml", "facts.json"):
        shutil.copy(DEMO.parent / name, inv / name)
    fifo = {"rules": pack / "zz.yml", "group_vars": inv / "group_vars" / "all.yml",
            "inventory_dir": inv / "zz.yml"}[where]
    fifo.parent.mkdir(exist_ok=True)
    if fifo.exists():
        fifo.unlink()
    os.mkfifo(fifo)
    source = inv if where == "inventory_dir" else inv / "inventory.yml"
    code = _within(20, lambda: main(["apply", "-i", str(source), "-r", str(pack)]))
    assert code == 3
    err = capsys.readouterr().err
    assert f"{fifo}: not a regular file (a FIFO, socket or device)" in err
    assert "Traceback" not in err


def test_a_host_hung_past_its_budget_hands_its_fork_slot_on(monkeypatch) -> None:
    """A transport that ignores its timeout (a hung read) used to keep its fork slot: with
    --forks 1 the hosts queued behind it never started and the run never ended. Whichever
    host gets the slot first hangs here; it is declared timed out and the others are
    gathered."""
    from types import SimpleNamespace

    from checker import gather

    monkeypatch.setattr(gather, "GRACE_S", 0.1)
    release, lock, entered = threading.Event(), threading.Lock(), []

    def one(hp):
        with lock:
            entered.append(hp.host.name)
            first = len(entered) == 1
        if first:
            release.wait()  # ignores every timeout
        return {"gathered": True}

    work = [SimpleNamespace(host=SimpleNamespace(name=f"h{i}"), facts=()) for i in range(4)]
    try:
        store = _within(20, lambda: gather._gather_all(work, 1, 0.2, None, None, one))
    finally:
        release.set()
    assert set(store) == {"h0", "h1", "h2", "h3"}
    assert store[entered[0]] == {}  # timed out (no facts were asked of it)
    assert sorted(entered[1:]) == sorted(set(store) - {entered[0]})
    assert all(store[name] == {"gathered": True} for name in entered[1:])


def test_a_streamed_fact_s_time_includes_reading_it(monkeypatch) -> None:
    """LDAP pages are read while the collector interprets the reply: the fact's recorded
    duration used to stop when the (lazy) reply was handed over, so ad.recipients over
    100k users showed microseconds in the HTML report."""
    from checker import gather
    from checker.facts.model import FactKey
    from checker.inventory.model import Host
    from checker.plan import HostPlan
    from checker.redact import Redactor

    streamed, other = FactKey.of("ad.recipients"), FactKey.of("ad.domain")

    class Streaming(base.Transport):
        def open(self):
            return None

        def collect(self, requests):
            yield streamed, iter(range(3))  # read lazily, as ldap3 pages are
            yield other, {}

    def interpret(cls, collector, key, raw, request):
        if key == streamed:
            time.sleep(0.2)  # reading the pages
        return gather.Fact(key, gather.FactStatus.OK, None)

    monkeypatch.setitem(base.transports._items, "snapshot", Streaming)
    monkeypatch.setattr(gather, "_interpret", interpret)
    hp = HostPlan(Host("dc", {"ansible_connection": "snapshot"}, ("all",)), "snapshot",
                  (streamed, other), ())
    facts = gather.gather_host(hp, 10.0, Redactor(set()))
    assert facts[streamed].provenance.duration_s >= 0.2
    assert facts[other].provenance.duration_s < 0.2

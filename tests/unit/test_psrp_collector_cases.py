"""Data-first cases for the PSRP collectors: tests/collectors/<name>/<case>.json holds
{params, raw, fact (the record's JSON form)}. ADSync's raw is the 5.1 JSON value its snippet
returned; Exchange's is the list of plain objects the cmdlet transport hands on (bytes in
base64), recorded from the lab endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.collectors.base import collectors, load_all

FAMILIES = ("adsync.", "exchange.")
ROOT = Path(__file__).resolve().parents[1] / "collectors"
CASES = sorted(p for family in FAMILIES for p in ROOT.glob(f"{family}*/*.json"))


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_case(path: Path) -> None:
    load_all()
    case = json.loads(path.read_text())
    collector = collectors.get(path.parent.name)()
    fact = collector.process(case["raw"], case["params"])
    assert collector.dump(fact) == case["fact"]
    assert collector.load(case["fact"]) == fact  # the snapshot form replays as the same record


def test_every_psrp_collector_has_a_case() -> None:
    load_all()
    covered = {p.parent.name for p in CASES}
    assert covered == {n for n in collectors.names() if n.startswith(FAMILIES)}

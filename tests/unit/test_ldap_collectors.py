"""Data-first collector cases: tests/collectors/<name>/<case>.json = {params, raw, fact|error}.

`raw` is what the LDAP transport hands to process(): {search name: [entries]}.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checker.collectors.base import load_all
from checker.errors import CollectError
from checker.facts.records import to_json

CASES = sorted((Path(__file__).parents[1] / "collectors").glob("*/*.json"))
AD_CASES = [c for c in CASES if c.parent.name.startswith(("ad.", "ldap."))]


def _case(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


@pytest.mark.parametrize("path", AD_CASES, ids=[f"{p.parent.name}/{p.stem}" for p in AD_CASES])
def test_process(path: Path) -> None:
    case = _case(path)
    collector = load_all().get(path.parent.name)()
    collector.request(case["params"])  # the params are valid for the request too
    if "error" in case:
        with pytest.raises(CollectError, match=case["error"]):
            collector.process(case["raw"], case["params"])
        return
    fact = collector.process(case["raw"], case["params"])
    assert to_json(fact) == case["fact"]
    assert to_json(collector.load(collector.dump(fact))) == case["fact"]  # snapshot round trip


def test_every_ad_collector_has_cases() -> None:
    names = {n for n, _ in load_all().items() if n.startswith(("ad.", "ldap."))}
    assert names <= {p.parent.name for p in AD_CASES}


def test_process_accepts_generators_once() -> None:
    """The transport streams entries: process() must consume each search exactly once."""
    case = _case(next(p for p in AD_CASES if p.parent.name == "ad.domain"))
    raw = {k: iter(v) for k, v in case["raw"].items()}
    fact = load_all().get("ad.domain")().process(raw, {})
    assert to_json(fact) == case["fact"]

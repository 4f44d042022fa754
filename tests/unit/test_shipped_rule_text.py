"""What the shipped rules tell an admin in words: a skipped row says why in a sentence (the
rule's `when_msg`), never the Jinja of its `when` ("(vars.checker_aadc_role |
default('active')) == 'staging'" is false)."""

from __future__ import annotations

from pathlib import Path

from checker.ruleset.loader import load_rules
from checker.runner import Options, prepare, run

ROOT = Path(__file__).resolve().parents[2]


def test_every_shipped_when_has_a_reason_in_words() -> None:
    rules = load_rules([str(ROOT / "rules")]).rules
    assert [r.id for r in rules if r.when and not r.when_msg] == []


def test_the_demo_skips_in_words() -> None:
    inventory = ROOT / "inventories" / "demo" / "inventory.yml"
    report, _ = run(prepare(Options(inventory=str(inventory), rules=[str(ROOT / "rules")])))
    skipped = [r.message for r in report.results if r.status.value == "skipped"]
    assert skipped and not [m for m in skipped if "vars." in m or "default(" in m], skipped

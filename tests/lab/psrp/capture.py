"""Regenerate the lab's collector cases: python -m tests.lab.psrp.capture

For each (scenario, time zone) below, every ADSync collector's snippet runs through the lab
engine exactly as the PSRP transport sends it (one batch script ending in ConvertTo-Json),
and tests/collectors/adsync.<name>/lab-<case>.json records {params, raw, fact}. Times are
fixed (ANCHOR, NOW) so a regeneration changes nothing unless the lab or a snippet did.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from checker.collectors.base import collectors, load_all
from checker.errors import CheckerError
from checker.transports import ps_batch

from . import adsync, adsync_cmdlets, scenario
from .engine import Engine

OUT = Path(__file__).resolve().parents[2] / "collectors"
ANCHOR = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.timezone.utc)
NOW = dt.datetime(2025, 7, 1, 12, 0, tzinfo=dt.timezone.utc)
MAIL = "OU=Mail,DC=lab,DC=example,DC=com"
PARAMS = {  # what the gather stage gives a collector whose request is built from other facts
    "adsync.connector_space": {"mail_users_from": "domain_controllers", "targets": [
        f"CN=Alice Lab,{MAIL}", f"CN=mu000,{MAIL}", f"CN=Gone Away,{MAIL}"]},
}
CASES = {  # case name: (scenario, server time zone)
    "healthy": ("healthy", "America/Los_Angeles"),
    "staging": ("staging-mode", "Asia/Tokyo"),
    "legacy-build": ("connector-schema-stale-legacy", "Europe/Berlin"),
    "cycle-in-progress": ("cycle-in-progress", "UTC"),
    "no-full-sync": ("no-full-sync-after-refresh", "Asia/Tokyo"),
    "full-sync-purged": ("full-sync-purged", "America/Los_Angeles"),
}


class _Writer:
    def error(self, err: Any) -> None:
        raise RuntimeError(err.message)

    def sleep(self, seconds: float) -> None:
        pass


def raw_replies(name: str, zone: str, collector_names: list[str]) -> dict[str, Any]:
    data = scenario.load_raw(name)
    engine = Engine()
    engine.timezone = ZoneInfo(zone)
    adsync_cmdlets.register(engine, adsync.State(data, scenario.Clock(ANCHOR, NOW)))
    snippets = [collectors.get(n)().request(PARAMS.get(n, {})) for n in collector_names]
    out = engine.run(ps_batch.build_script(snippets), [], _Writer())
    replies = ps_batch.parse_document(out, len(snippets))
    return {n: r.value for n, r in zip(collector_names, replies, strict=True)}


def main() -> None:
    load_all()
    names = [n for n in collectors.names() if n.startswith("adsync.")
             and "psrp" in collectors.get(n).transports and collectors.get(n)().request({})]
    for case, (name, zone) in CASES.items():
        for collector_name, raw in raw_replies(name, zone, names).items():
            collector = collectors.get(collector_name)()
            params = PARAMS.get(collector_name, {})
            try:
                fact = collector.dump(collector.process(raw, params))
            except CheckerError:  # unavailable on this build: no case
                continue
            path = OUT / collector_name / f"lab-{case}.json"
            path.parent.mkdir(exist_ok=True)
            doc = {"source": f"lab scenario {name}, server time zone {zone} "
                              "(python -m tests.lab.psrp.capture)",
                   "params": params, "raw": raw, "fact": fact}
            path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
            print(path.relative_to(OUT.parent.parent))


if __name__ == "__main__":
    main()

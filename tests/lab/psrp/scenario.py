"""Scenario files: the simulated ADSync server's state, with times relative to an anchor.

`anchor` is when the Exchange schema extension happened (default: now - 30 days; a combined
lab passes the Samba DC's real extension time). Times are written `anchor+2h`, `now-20m`,
`anchor-400d`. A scenario may `extends: healthy` and override top-level keys.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SCENARIOS = Path(__file__).parent / "scenarios"
UTC = dt.timezone.utc
_TIME = re.compile(r"(anchor|now)((?:[+-]\d+[smhdw])*)\Z")
_STEP = re.compile(r"([+-])(\d+)([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def names(folder: Path = SCENARIOS) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.yml"))


def load_raw(name: str, folder: Path = SCENARIOS) -> dict[str, Any]:
    """A scenario of `folder` (the ADSync lab's by default), its `extends:` base merged in."""
    path = folder / f"{name}.yml"
    if not path.is_file():
        raise FileNotFoundError(f"no lab scenario {name!r} in {folder.name} "
                                f"(known: {', '.join(names(folder))})")
    data = yaml.safe_load(path.read_text()) or {}
    base = data.pop("extends", None)
    return {**load_raw(base, folder), **data} if base else data


@dataclass(frozen=True)
class Clock:
    anchor: dt.datetime
    now: dt.datetime

    def at(self, text: str) -> dt.datetime:
        m = _TIME.match(str(text).replace(" ", ""))
        if not m:
            raise ValueError(f"bad scenario time {text!r} (use anchor+2h, now-20m, ...)")
        when = self.anchor if m.group(1) == "anchor" else self.now
        for sign, count, unit in _STEP.findall(m.group(2)):
            delta = dt.timedelta(seconds=int(count) * _UNITS[unit])
            when = when + delta if sign == "+" else when - delta
        return when


def load(name: str, anchor: dt.datetime | None = None) -> tuple[dict[str, Any], Clock]:
    now = dt.datetime.now(UTC).replace(microsecond=0)
    anchor = anchor or now - dt.timedelta(days=30)
    return load_raw(name), Clock(anchor.astimezone(UTC), now)


def expected_failures(name: str, with_dc: bool = False) -> list[str]:
    data: Mapping[str, Any] = load_raw(name)
    key = "expected_failures_with_dc" if with_dc and "expected_failures_with_dc" in data \
        else "expected_failures"
    return sorted(data.get(key) or [])

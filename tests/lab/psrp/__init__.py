"""The PSRP lab: a real WSMan/PSRP endpoint on loopback hosting a simulated ADSync module.

    python -m tests.lab.psrp serve --scenario healthy --port 0 --user 'LAB\\svc' \\
        --password pw --auth negotiate          # prints "LISTENING <port>"
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from . import adsync, adsync_cmdlets, scenario
from .engine import Engine
from .server import LabServer


def make_server(name: str, *, anchor: dt.datetime | None = None, port: int = 0,
                username: str = "LAB\\svc", password: str = "pw", auth: str = "basic",
                latency: float = 0.0, max_receive_wait: float = 2.0,
                timezone: str | None = None, directory: str | None = None) -> LabServer:
    """An endpoint (not started) serving scenario `name`. `timezone` (an IANA name) is the
    server's local time zone, overriding the scenario's `timezone` (default UTC);
    `directory` the AD scenario its AD connector spaces mirror (default: the scenario's)."""
    data, clock = scenario.load(name, anchor)
    if directory:
        data["directory"] = directory
    engine = Engine()
    engine.timezone = ZoneInfo(timezone or str(data.get("timezone", "UTC")))
    adsync_cmdlets.register(engine, adsync.State(data, clock))
    return LabServer(engine, port=port, username=username, password=password, auth=auth,
                     latency=latency, max_receive_wait=max_receive_wait)


__all__ = ["LabServer", "make_server"]

"""The PSRP lab: a real WSMan/PSRP endpoint on loopback hosting a simulated ADSync module.

    python -m tests.lab.psrp serve --scenario healthy --port 0 --user 'LAB\\svc' \\
        --password pw --auth negotiate          # prints "LISTENING <port>"
"""

from __future__ import annotations

import datetime as dt

from . import adsync, scenario
from .engine import Engine
from .server import LabServer


def make_server(name: str, *, anchor: dt.datetime | None = None, port: int = 0,
                username: str = "LAB\\svc", password: str = "pw", auth: str = "basic",
                latency: float = 0.0, max_receive_wait: float = 2.0) -> LabServer:
    """An endpoint (not started) serving scenario `name`."""
    data, clock = scenario.load(name, anchor)
    engine = Engine()
    adsync.register(engine, adsync.State(data, clock))
    return LabServer(engine, port=port, username=username, password=password, auth=auth,
                     latency=latency, max_receive_wait=max_receive_wait)


__all__ = ["LabServer", "make_server"]
